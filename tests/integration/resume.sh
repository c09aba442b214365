#!/bin/sh
# resume.sh - a restore killed (kill -9) while it commits is finished when
# snapfs starts again (as a daemon that forks): the job ends FINISHED and
# the data root holds the snapshot, every partition of it.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

A=$W/data-a
B=$W/data-b
LOC=$W/loc
mkdir -p "$LOC" "$B/sales/orders/p1/1001"
echo old >"$B/sales/orders/p1/1001/1001.hdr"
for p in p1 p2 p3; do
	for t in 1 2; do
		mkdir -p "$A/sales/orders/$p/$p$t"
		head -c 50000 /dev/urandom >"$A/sales/orders/$p/$p$t/x.dat"
	done
done
# tablet folders must be numbers
for p in p1 p2 p3; do
	for t in 1 2; do
		mv "$A/sales/orders/$p/$p$t" "$A/sales/orders/$p/${p#p}00$t"
	done
done

mount_fs "$LOC" -o data="$A"
echo 'sales.snap TO repo1' >"$MNT/ctl/backup" || fail "backup refused"
job_wait 1 FINISHED
umount_fs

SNAPFS_TEST_PAUSE_MS=2000
export SNAPFS_TEST_PAUSE_MS
mount_fs "$LOC" -o data="$B"
echo 'sales.snap' >"$MNT/ctl/restore" || fail "restore refused"
job_wait 1 COMMIT
kill_fs
[ -d "$B/.snapfs/jobs/1/staging" ] || fail "nothing was staged"

unset SNAPFS_TEST_PAUSE_MS
# Started again as a daemon that forks, as fstab and systemd start it.
${SNAPFS_WRAPPER:-} "$SNAPFS" "$LOC" "$MNT" -o data="$B" >>"$W/log" 2>&1 ||
    fail "snapfs as a daemon did not start"
daemon=$(pgrep -n -f "$MNT") || fail "no daemon for $MNT"
EXTRA_KILL="$EXTRA_KILL $daemon"
job_wait 1 FINISHED
diff -r -x .snapfs "$A/sales" "$B/sales" || fail "the resumed restore differs"
[ -d "$B/.snapfs/jobs/1" ] && fail "the job's folder stays"
fusermount3 -u "$MNT" || fail "fusermount3 -u of the daemon's mount"
wait_gone "$daemon" 30 "the daemon"
