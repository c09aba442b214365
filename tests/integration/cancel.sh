#!/bin/sh
# cancel.sh - a cancel caught in every state.  Each job lingers in each
# state (SNAPFS_TEST_PAUSE_MS), so that the test can cancel it there: a
# cancelled backup never shows as OK, a restore cancelled before COMMIT
# leaves the data root as it was, and a committing restore cannot be
# cancelled.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

A=$W/data-a
B=$W/data-b
LOC=$W/loc
mkdir -p "$LOC" "$B/sales/orders/p1/1001"
echo old >"$B/sales/orders/p1/1001/1001.hdr"
for t in 1001 1002; do
	mkdir -p "$A/sales/orders/p1/$t"
	head -c 100000 /dev/urandom >"$A/sales/orders/p1/$t/$t.hdr"
done
mkdir -p "$A/other/t/p/3001"
echo other >"$A/other/t/p/3001/3001.hdr"

SNAPFS_TEST_PAUSE_MS=600
export SNAPFS_TEST_PAUSE_MS
mount_fs "$LOC" -o data="$A"
echo 'sales.snap_ok TO repo1' >"$MNT/ctl/backup" || fail "backup refused"
job_wait 1 FINISHED

# One job per database (EBUSY); jobs of two databases run side by side.
echo 'sales.busy_a' >"$MNT/ctl/backup" || fail "backup busy_a refused"
job_wait 2 SNAPSHOTING
if /bin/echo 'sales.busy_b' >"$MNT/ctl/backup" 2>"$W/err"; then
	fail "a second job on sales was accepted"
fi
grep -q "Device or resource busy" "$W/err" || fail "not EBUSY: $(cat "$W/err")"
grep -q "one backup or restore job" "$MNT/ctl/last_error" ||
    fail "last_error: $(cat "$MNT/ctl/last_error")"
echo 'other.other_a' >"$MNT/ctl/backup" || fail "a job on other was refused"
job_wait 3 SNAPSHOTING
grep -qx SNAPSHOTING "$MNT/jobs/2/state" || grep -qx UPLOAD_SNAPSHOT \
    "$MNT/jobs/2/state" || grep -qx UPLOADING "$MNT/jobs/2/state" ||
    fail "jobs 2 and 3 did not run side by side"
job_wait 2 FINISHED
job_wait 3 FINISHED
id=3
for state in PENDING SNAPSHOTING UPLOAD_SNAPSHOT UPLOADING SAVE_META \
    UPLOAD_INFO; do
	id=$((id + 1))
	echo "sales.c_$state" >"$MNT/ctl/backup" ||
	    fail "backup c_$state refused"
	job_wait $id $state
	echo $id >"$MNT/ctl/cancel" ||
	    fail "cancel in $state refused: $(cat "$MNT/ctl/last_error")"
	job_wait $id CANCELLED
	grep -q "^c_$state	.*	OK	" "$MNT/repo1/snapshots.tsv" &&
	    fail "a backup cancelled in $state shows OK"
	ls "$MNT/repo1" | grep -qx "c_$state" &&
	    fail "a backup cancelled in $state is a folder"
done
umount_fs

mount_fs "$LOC" -o data="$B"
# fingerprint: every file of B and its md5, .snapfs aside.
fingerprint()
{
	(cd "$B" && find . -path ./.snapfs -prune -o -type f -print | sort |
	    xargs md5sum)
}
fingerprint >"$W/before.txt"
id=0
for state in PENDING SNAPSHOTING DOWNLOAD DOWNLOADING; do
	id=$((id + 1))
	echo 'sales.snap_ok' >"$MNT/ctl/restore" || fail "restore refused"
	job_wait $id $state
	echo 'RESTORE FROM sales' >"$MNT/ctl/cancel" ||
	    fail "cancel in $state refused: $(cat "$MNT/ctl/last_error")"
	job_wait $id CANCELLED
	fingerprint >"$W/after.txt"
	cmp -s "$W/before.txt" "$W/after.txt" ||
	    fail "a restore cancelled in $state changed the data root"
done
id=$((id + 1))
echo 'sales.snap_ok' >"$MNT/ctl/restore" || fail "restore refused"
job_wait $id COMMIT
if echo $id >"$MNT/ctl/cancel" 2>/dev/null; then
	fail "a committing restore was cancelled"
fi
grep -q "committing" "$MNT/ctl/last_error" ||
    fail "last_error: $(cat "$MNT/ctl/last_error")"
job_wait $id FINISHED
diff -r -x .snapfs "$A/sales" "$B/sales" || fail "the restore after the cancels differs"
umount_fs
