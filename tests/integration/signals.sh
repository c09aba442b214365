#!/bin/sh
# signals.sh - SIGTERM and SIGINT unmount cleanly: the mount goes, the
# daemon exits 0, and the job records are kept (a job running at the time
# ends CANCELLED, never stays running, and shows so after a remount); after
# SIGKILL, fusermount3 -u clears the mount and a remount has the jobs.
# examples/snapfs.service restarts a daemon that dies and passes
# systemd-analyze verify.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog systemd-analyze

DATA=$W/data
LOC=$W/loc
mkdir -p "$LOC"
data_file "$DATA" sales small p 1001 1001.hdr 100
i=0
while [ $i -lt 2000 ]; do
	data_file "$DATA" sales big p 2001 "f$i.dat" 20000
	i=$((i + 1))
done

# A shell starts background commands with SIGINT ignored, and libfuse
# keeps a signal ignored: start the daemon with SIGINT as the default.
cat >"$W/sigdfl.py" <<'END'
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])
END
SNAPFS_WRAPPER="python3 $W/sigdfl.py"
# Each job lingers in each state, so that a signal finds it running.
SNAPFS_TEST_PAUSE_MS=300
export SNAPFS_TEST_PAUSE_MS

# stop_with SIGNAL: the daemon exits 0 and leaves nothing mounted.
stop_with()
{
	kill -"$1" "$SNAPFS_PID"
	wait_gone "$SNAPFS_PID" 60 "SIG$1: snapfs"
	_st=0
	wait "$SNAPFS_PID" || _st=$?
	SNAPFS_PID=
	assert_eq "$_st" 0 "exit status after SIG$1"
	mountpoint -q "$MNT" && fail "SIG$1: still mounted"
	grep -q ": unmounting" "$W/log" || fail "SIG$1: no unmount in the log"
	:
}

mount_fs "$LOC" -o data="$DATA"
echo 'snap_small TO repo1 ON (small)' >"$MNT/ctl/backup" || fail "backup 1"
job_wait 1 FINISHED
stop_with TERM

mount_fs "$LOC" -o data="$DATA"
assert_eq "$(cat "$MNT/jobs/1/state")" FINISHED "job 1 after SIGTERM"
echo 'snap_big ON (big)' >"$MNT/ctl/backup" || fail "backup 2"
job_wait 2 UPLOADING
stop_with INT

mount_fs "$LOC" -o data="$DATA"
assert_eq "$(cat "$MNT/jobs/1/state")" FINISHED "job 1 after SIGINT"
assert_eq "$(cat "$MNT/jobs/2/state")" CANCELLED "job 2 after SIGINT"
grep '^TaskErrMsg: .' "$MNT/jobs/2/job.txt" >/dev/null ||
    fail "job 2 has no reason: $(cat "$MNT/jobs/2/job.txt")"
grep -q '^snap_big	.*	OK$' "$MNT/repo1/snapshots.tsv" &&
    fail "an interrupted backup shows OK"

# SIGKILL: the mount stays, dead, until fusermount3 -u.
kill -KILL "$SNAPFS_PID"
wait "$SNAPFS_PID" 2>/dev/null || :
SNAPFS_PID=
ls "$MNT" >/dev/null 2>&1 && fail "a dead daemon's mount answers"
fusermount3 -u "$MNT" || fail "fusermount3 -u after SIGKILL failed"
mountpoint -q "$MNT" && fail "still mounted after fusermount3 -u"
mount_fs "$LOC" -o data="$DATA"
assert_eq "$(cat "$MNT/jobs/1/state")" FINISHED "job 1 after SIGKILL"
assert_eq "$(cat "$MNT/jobs/2/state")" CANCELLED "job 2 after SIGKILL"
ls "$MNT/repo1" | grep -qx snap_small || fail "snap_small lost"
umount_fs

# The unit: restarts on failure, is valid for systemd (with our binary).
U=$srcdir/examples/snapfs.service
grep -q '^Restart=on-failure$' "$U" || fail "the unit does not restart"
grep -q '^ExecStopPost=-/bin/fusermount3 -uz ' "$U" ||
    fail "the unit does not clear a dead mount"
sed "s|/usr/local/bin/snapfs|$SNAPFS|" "$U" >"$W/snapfs.service"
systemd-analyze verify --man=no "$W/snapfs.service" >"$W/verify.txt" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$W/verify.txt")"
