#!/bin/sh
# s3/secrets.sh - the S3 secret key is nowhere snapfs writes or shows: not
# in the debug log (-d, every FUSE request and every retry), not in
# stats.json, the job files, the mounted tree, the data root or the
# repository, and not on the command line; also after requests failed
# and were retried (tests/s3/faultproxy.py), since failures are logged.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

DATA=$W/data
LOC=$W/loc
mkrepo "$LOC" --label snap_a
data_file "$DATA" sales t p 1001 1001.hdr 100
data_file "$DATA" sales t p 1001 0200000000000001001_0.dat 200000
s3_publish "$LOC"
fault_start
mount_fs "$S3LOC" $FAULT_OPTS -o data="$DATA" -d
SECRET=$S3_SECRET
[ -n "$SECRET" ] || fail "no secret"

fault_set "503 count=3"
find "$MNT/repo1" -type f -exec cat {} + >/dev/null ||
    fail "reading the tree failed"
fault_set "500 match=PUT count=2"
echo 'sales.snap_b TO repo1' >"$MNT/ctl/backup" || fail "backup refused"
assert_eq "$(job_end 1)" FINISHED "backup"
fault_set pass
echo 'sales.snap_b FROM repo1 ON (t AS t2)' >"$MNT/ctl/restore" ||
    fail "restore refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 2)" FINISHED "restore"
cat "$MNT/ctl/last_error" >/dev/null 2>&1 || :
[ "$(fault_count)" -ge 5 ] || fail "only $(fault_count) faults were made"

tr '\0' ' ' <"/proc/$SNAPFS_PID/cmdline" | grep -q -- "$SECRET" &&
    fail "the secret is on the command line"
grep -q "tablets, .* files" "$W/log" || fail "no debug output in the log"
grep -q -- "$SECRET" "$W/log" && fail "the secret is in the debug log"
grep -rq -- "$SECRET" "$MNT/stats.json" "$MNT/jobs" "$MNT/repo1" &&
    fail "the secret is in a file of the mount"
grep -rq -- "$SECRET" "$DATA" && fail "the secret is in the data root"
s3_aws s3 cp --recursive "s3://$BUCKET/loc/" "$W/copy/" >/dev/null ||
    fail "cannot copy the repository back"
grep -rq -- "$SECRET" "$W/copy" && fail "the secret is in the repository"
umount_fs
grep -q -- "$SECRET" "$W/log" && fail "the secret is in the log"
:
