#!/bin/sh
# restore.sh - restore jobs through ctl/restore: a backup of one data root
# restored into another is identical (diff -r); ON (... PARTITION (...) AS
# alias) restores only what it names under the new name; a restore over
# existing data replaces it; backup_timestamp picks the info; refused lines
# fail the write with their reason; a cancelled restore leaves the data
# root exactly as it was.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

A=$W/data-a
B=$W/data-b
LOC=$W/loc
mkdir -p "$LOC" "$B"
for t in 1001 1002; do
	data_file "$A" sales orders p202401 $t "$t.hdr" 200
	data_file "$A" sales orders p202401 $t "02000000000000${t}b0_0.dat" 300000
	data_file "$A" sales orders p202402 $((t + 10)) "$((t + 10)).hdr" 100
done
data_file "$A" sales users users 2001 2001.hdr 50
data_file "$A" sales users users 2001 0200000000000002001_0.dat 6000000
i=0
while [ $i -lt 1500 ]; do
	data_file "$A" sales big p 3000 "f$i.dat" 10000
	i=$((i + 1))
done

# same DIR1 DIR2: the same tree and bytes, .snapfs aside.
same()
{
	diff -r -x .snapfs "$1" "$2" >"$W/diff.txt" 2>&1 ||
	    fail "$1 and $2 differ: $(head -n 5 "$W/diff.txt")"
}
# fingerprint DIR: every file with its size and md5, .snapfs aside.
fingerprint()
{
	(cd "$1" && find . -path ./.snapfs -prune -o -type f -print0 |
	    sort -z | xargs -0 md5sum)
}

mount_fs "$LOC" -o data="$A"
echo 'sales.snap1 TO repo1' >"$MNT/ctl/backup" || fail "backup refused"
assert_eq "$(job_end 1)" FINISHED "backup"
umount_fs

mount_fs "$LOC" -o data="$B"
echo 'sales.snap1 FROM repo1' >"$MNT/ctl/restore" ||
    fail "restore refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 1)" FINISHED "restore"
grep -q '^Label: snap1$' "$MNT/jobs/1/job.txt" || fail "job.txt label"
same "$A" "$B"

# Only one partition, under another name.
echo 'snap1 ON (orders PARTITION (p202401) AS orders_copy)' \
    >"$MNT/ctl/restore" || fail "partial restore refused"
assert_eq "$(job_end 2)" FINISHED "partial restore"
assert_list "orders_copy" ls "$B/sales/orders_copy" <<'END'
p202401
END
same "$A/sales/orders/p202401" "$B/sales/orders_copy/p202401"

# Over data that changed since: the snapshot's bytes come back.
echo changed >"$B/sales/users/users/2001/2001.hdr"
rm -r "$B/sales/orders/p202402"
echo "sales.snap1 PROPERTIES (\"backup_timestamp\"=\"$(sed -n \
    's/^Timestamp: //p' "$MNT/jobs/1/job.txt")\")" >"$MNT/ctl/restore" ||
    fail "restore with backup_timestamp refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 3)" FINISHED "restore over changed data"
rm -r "$B/sales/orders_copy"
same "$A" "$B"

ctl_refused restore 'nosuch' "not found"
ctl_refused restore 'snap1 FROM nosuchrepo' "unknown repository"
ctl_refused restore 'snap1 ON (nosuch)' "not in snapshot"
ctl_refused restore 'snap1 ON (orders PARTITION (p1999))' "not in snapshot"
ctl_refused restore 'snap1 PROPERTIES ("backup_timestamp"="2000-01-01-00-00-00")' \
    "not found"

# Cancelled at once: the data root does not change.
fingerprint "$B" >"$W/before.txt"
echo 'snap1' >"$MNT/ctl/restore" || fail "restore refused"
echo 'RESTORE' >"$MNT/ctl/cancel" ||
    fail "cancel refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 4)" CANCELLED "cancelled restore"
fingerprint "$B" >"$W/after.txt"
cmp -s "$W/before.txt" "$W/after.txt" ||
    fail "a cancelled restore changed the data root"
[ -z "$(ls "$B/.snapfs/jobs" 2>/dev/null)" ] ||
    fail "a cancelled restore left $(ls "$B/.snapfs/jobs")"
umount_fs
