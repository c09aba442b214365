#!/bin/sh
# restart.sh - jobs survive a restart: after kill -9 of the daemon in the
# middle of an upload, fusermount3 -u and a remount, the finished job is
# still FINISHED, the interrupted one is CANCELLED with the reason and its
# snapshot never shows as OK, and new jobs get new ids.  A second snapfs
# on the same data root refuses to start.  -o history=2 keeps the newest
# two ended jobs, in /jobs and in the data root.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

DATA=$W/data
LOC=$W/loc
mkdir -p "$LOC"
mkdir -p "$DATA/sales/small/p/1001" "$DATA/sales/big/p/2001"
echo small >"$DATA/sales/small/p/1001/1001.hdr"
i=0
while [ $i -lt 3000 ]; do
	head -c 20000 /dev/urandom >"$DATA/sales/big/p/2001/f$i.dat"
	i=$((i + 1))
done

mount_fs "$LOC" -o data="$DATA"
# One snapfs per data root: a second one refuses to start.
mkdir "$W/mnt2"
"$SNAPFS" -o data="$DATA" "$LOC" "$W/mnt2" 2>"$W/err" &&
    fail "a second snapfs started on the same data root"
grep -q "data root $DATA: in use by another snapfs" "$W/err" ||
    fail "second snapfs: $(cat "$W/err")"
echo 'snap_small TO repo1 ON (small)' >"$MNT/ctl/backup" || fail "backup 1"
job_wait 1 FINISHED
echo 'snap_big ON (big)' >"$MNT/ctl/backup" || fail "backup 2"
job_wait 2 UPLOADING
kill_fs

mount_fs "$LOC" -o data="$DATA"
assert_eq "$(cat "$MNT/jobs/1/state")" FINISHED "job 1 after the restart"
assert_eq "$(cat "$MNT/jobs/2/state")" CANCELLED "job 2 after the restart"
grep -q '^TaskErrMsg: interrupted by a restart of snapfs in UPLOADING$' \
    "$MNT/jobs/2/job.txt" || fail "job 2: $(cat "$MNT/jobs/2/job.txt")"
grep -q '^snap_big	.*	OK	' "$MNT/repo1/snapshots.tsv" &&
    fail "an interrupted backup shows OK"
ls "$MNT/repo1" | grep -qx snap_small || fail "snap_small lost"
[ -d "$DATA/.snapfs/jobs/2" ] && fail "the interrupted job's snapshot stays"
echo 'snap_big2 ON (big)' >"$MNT/ctl/backup" || fail "backup 3"
ls "$MNT/jobs" | grep -qx 3 || fail "the next job is not 3: $(ls "$MNT/jobs")"
job_wait 3 FINISHED
umount_fs

"$SNAPFS" -o data="$DATA",history=0 "$LOC" "$W/mnt2" 2>"$W/err" &&
    fail "history=0 was taken"
assert_text "$W/err" "a bad history=" <<'END'
snapfs: history=0: not a number from 1 to 1000000
END
H=$DATA/.snapfs/history
mount_fs "$LOC" -o data="$DATA",history=2
assert_eq "$(ls "$MNT/jobs" | sort -n | tr '\n' ' ')" "2 3 " \
    "jobs kept of 3 under history=2"
[ -e "$H/1" ] && fail "the record of job 1 stays"
echo snap_small >"$MNT/ctl/verify" || fail "verify"
job_wait 4 FINISHED
echo snap_small >"$MNT/ctl/verify" || fail "verify"
job_wait 5 FINISHED
echo snap_small >"$MNT/ctl/verify" || fail "verify"
job_wait 6 FINISHED
assert_eq "$(ls "$MNT/jobs" | sort -n | tr '\n' ' ')" "4 5 6 " \
    "jobs kept: the 2 ended when job 6 was submitted, and job 6"
assert_eq "$(ls "$H" | sort -n | tr '\n' ' ')" \
    "4 4.report 5 5.report 6 6.report " "records kept"
umount_fs
