#!/bin/sh
# torn.sh - what a backup leaves: a data-root file rewritten in place
# while it is backed up is never uploaded torn (the job fails naming it,
# and no object of it is left), and once it holds still the same backup
# takes it whole; a repository a backup creates shows at once, even when
# the backup is cancelled; no job leaves its work folder in DIR/.snapfs.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog md5sum

DATA=$W/data
LOC=$W/loc
mkrepo "$LOC" --label snap_a
T=$DATA/shop/t/p/1001
mkdir -p "$T"
echo header >"$T/1001.hdr"
head -c $((32 * 1024 * 1024)) /dev/urandom >"$T/1001_0.dat"
SNAPFS_TEST_PAUSE_MS=300
export SNAPFS_TEST_PAUSE_MS
mount_fs "$LOC" -o data="$DATA"

# A writer that rewrites bytes of the file in place until told to stop;
# the backup starts once it writes.
python3 - "$T/1001_0.dat" "$W/stop" "$W/writing" <<'PY' &
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY)
end = time.time() + 120
while not os.path.exists(sys.argv[2]) and time.time() < end:
    os.pwrite(fd, os.urandom(4096), random.randrange(0, 32 * 1024 * 1024 - 4096))
    if not os.path.exists(sys.argv[3]):
        open(sys.argv[3], "w").close()
    time.sleep(0.001)
PY
WRITER=$!
EXTRA_KILL="$WRITER"
n=0
while [ ! -e "$W/writing" ]; do
	[ $n -lt 600 ] || fail "the writer does not write"
	sleep 0.1
	n=$((n + 1))
done

echo 'shop.lbl_torn TO repo1' >"$MNT/ctl/backup" ||
    fail "backup refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 1)" CANCELLED "backup of a file rewritten meanwhile"
grep -q "^TaskErrMsg: .*/shop/t/p/1001/1001_0.dat: changed while it was backed up" \
    "$MNT/jobs/1/job.txt" || fail "job.txt: $(cat "$MNT/jobs/1/job.txt")"
location_keys "$LOC" | grep -q "__ss_lbl_torn/.*1001_0\.dat" &&
    fail "an object of the rewritten file is left: $(location_keys "$LOC" | grep 1001_0)"
touch "$W/stop"
wait "$WRITER" || :
EXTRA_KILL=

echo 'shop.lbl_still TO repo1' >"$MNT/ctl/backup" ||
    fail "backup refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 2)" FINISHED "backup of the file once it holds still"
sum=$(md5sum <"$T/1001_0.dat" | cut -c 1-32)
location_keys "$LOC" | grep -q "__ss_lbl_still/.*/1001_0\.dat\.$sum\$" ||
    fail "no object 1001_0.dat.$sum: $(location_keys "$LOC" | grep 1001_0)"
cmp "$T/1001_0.dat" "$MNT/repo1/lbl_still/t/p/1001/1001_0.dat" ||
    fail "the backed-up file differs"

# A repository made by a backup shows at once, whatever becomes of it.
echo 'shop.lbl_new TO repo2' >"$MNT/ctl/backup" ||
    fail "backup refused: $(cat "$MNT/ctl/last_error")"
job_wait 3 SNAPSHOTING
echo 3 >"$MNT/ctl/cancel" || fail "cancel refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 3)" CANCELLED "the cancelled backup"
ls "$MNT" | grep -qx repo2 || fail "repo2 does not show: $(ls "$MNT")"
[ -z "$(ls -A "$DATA/.snapfs/jobs" 2>/dev/null)" ] ||
    fail "job folders left: $(ls "$DATA/.snapfs/jobs")"
umount_fs
