#!/bin/sh
# s3/jobfaults.sh - jobs under faults (tests/s3/faultproxy.py between
# snapfs and S3).  Uploads and downloads that meet resets and HTTP 500s a
# few times are retried and the jobs finish with the right bytes; when
# every upload or download of a tablet file fails, the job ends CANCELLED
# with the reason in job.txt, a backup leaves no snapshot shown as OK and
# no multipart upload open, and a restore leaves the data root exactly as
# it was (SPEC.md).  A cancel stops an upload that waits on a server that
# does not answer at once, and still aborts its multipart upload.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog md5sum

A=$W/a
B=$W/b
mkdir -p "$W/loc"
data_file "$A" sales orders p1 1001 1001.hdr 200
data_file "$A" sales orders p1 1001 0200000000000001001_0.dat 300000
data_file "$A" sales orders p2 1011 1011.hdr 100
data_file "$A" sales orders p2 1011 0200000000000001011_0.dat 20000000
data_file "$A" sales users users 2001 2001.hdr 50
data_file "$A" sales users users 2001 0200000000000002001_0.dat 700000
data_file "$B" sales orders p1 1001 1001.hdr 10
data_file "$B" sales orders p1 1001 0200000000000001001_0.dat 1000

# fingerprint DIR: every file with its md5, .snapfs aside.
fingerprint()
{
	(cd "$1" && find . -path ./.snapfs -prune -o -type f -print0 |
	    sort -z | xargs -0 md5sum)
}

s3_publish "$W/loc"
fault_start
mount_fs "$S3LOC" $FAULT_OPTS -o data="$A"

# Faults that pass: the backup finishes, with the right bytes.
fault_set "500 match=PUT count=3"
echo 'sales.snap1 TO repo1' >"$MNT/ctl/backup" || fail "backup refused"
assert_eq "$(job_end 1)" FINISHED "backup through 3 HTTP 500s"
note "backup: $(fault_count) faults met"
fault_set "reset count=2"
for f in $(cd "$A/sales" && find . -type f); do
	cmp "$A/sales/$f" "$MNT/repo1/snap1/$f" || fail "$f differs"
done
fault_set pass

# Every PUT of a tablet file fails: CANCELLED with the reason.
fault_set "503 match=.dat."
echo 'sales.snap2 TO repo1' >"$MNT/ctl/backup" || fail "backup 2 refused"
assert_eq "$(job_end 2)" CANCELLED "backup 2 under 503s"
grep '^TaskErrMsg: upload .*' "$MNT/jobs/2/job.txt" >/dev/null ||
    fail "backup 2: no reason: $(cat "$MNT/jobs/2/job.txt")"
note "backup 2: $(sed -n 's/^TaskErrMsg: //p' "$MNT/jobs/2/job.txt")"
fault_set pass
grep -q '^snap2	.*	OK$' "$MNT/repo1/snapshots.tsv" &&
    fail "a failed backup shows OK"

# Every part of a multipart upload fails: the upload is aborted.
fault_set "503 match=partNumber"
echo 'sales.snap3 TO repo1 ON (orders)' >"$MNT/ctl/backup" ||
    fail "backup 3 refused"
assert_eq "$(job_end 3)" CANCELLED "backup 3 under 503s on parts"
fault_set pass
grep -q '^snap3	.*	OK$' "$MNT/repo1/snapshots.tsv" &&
    fail "a failed backup shows OK"
s3_aws s3api list-multipart-uploads --bucket "$BUCKET" >"$W/mpu.json" ||
    fail "cannot list multipart uploads"
grep -q UploadId "$W/mpu.json" &&
    fail "a multipart upload is left open: $(cat "$W/mpu.json")"

# A cancel stops an upload that waits on the server at once, and the
# multipart upload is still aborted.
fault_set "hold match=partNumber"
echo 'sales.snap4 TO repo1 ON (orders)' >"$MNT/ctl/backup" ||
    fail "backup 4 refused"
job_wait 4 UPLOADING
sleep 2
_t0=$(now)
echo 4 >"$MNT/ctl/cancel" || fail "cancel refused"
assert_eq "$(job_end 4)" CANCELLED "backup 4 cancelled"
grep -q '^TaskErrMsg: cancelled$' "$MNT/jobs/4/job.txt" ||
    fail "backup 4: the reason is not the cancel: $(grep TaskErrMsg "$MNT/jobs/4/job.txt")"
i=0
while pid_alive "$SNAPFS_PID"; do
	s3_aws s3api list-multipart-uploads --bucket "$BUCKET" >"$W/mpu.json" ||
	    fail "cannot list multipart uploads"
	grep -q UploadId "$W/mpu.json" || break
	[ $i -lt 100 ] || fail "a cancelled multipart upload stays open"
	sleep 0.1
	i=$((i + 1))
done
note "backup 4: cancelled, upload aborted $(elapsed "$_t0") s after the cancel"
fault_set pass
umount_fs

# A restore that meets resets and 500s finishes with the right bytes.
mount_fs "$S3LOC" $FAULT_OPTS -o data="$B"
fingerprint "$B" >"$W/b.before"
fault_set "500 match=.dat. count=3"
echo 'sales.snap1 FROM repo1 ON (users)' >"$MNT/ctl/restore" ||
    fail "restore refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 1)" FINISHED "restore through 3 HTTP 500s"
diff -r "$A/sales/users" "$B/sales/users" >/dev/null ||
    fail "restored users differ"
rm -r "$B/sales/users"
fingerprint "$B" >"$W/b.now"
cmp -s "$W/b.before" "$W/b.now" || fail "the restore changed other data"

# Every download of a tablet file fails: CANCELLED with the reason, and
# the data root is as it was.
fault_set "500 match=.dat."
echo 'sales.snap1 FROM repo1' >"$MNT/ctl/restore" ||
    fail "restore 2 refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 2)" CANCELLED "restore under 500s"
grep '^TaskErrMsg: .' "$MNT/jobs/2/job.txt" >/dev/null ||
    fail "restore 2: no reason: $(cat "$MNT/jobs/2/job.txt")"
note "restore 2: $(sed -n 's/^TaskErrMsg: //p' "$MNT/jobs/2/job.txt")"
fingerprint "$B" >"$W/b.now"
cmp -s "$W/b.before" "$W/b.now" ||
    fail "a failed restore changed the data root: $(diff "$W/b.before" "$W/b.now" | head -n 5)"
# The staging folder goes right after the state shows CANCELLED.
i=0
while [ -d "$B/.snapfs/jobs/2" ]; do
	[ $i -lt 100 ] || fail "the failed restore's staging stays"
	sleep 0.1
	i=$((i + 1))
done
fault_set pass
grep -q -e "$S3_SECRET" "$W/log" "$MNT/jobs/1/job.txt" \
    "$MNT/jobs/2/job.txt" && fail "the secret is in a log or a job file"
grep -rq -e "$S3_SECRET" "$A" "$B" && fail "the secret is in a data root"
umount_fs
