#!/bin/sh
# drop.sh - ctl/drop deletes a snapshot from its repository and nothing
# else (a label that starts the same stays whole); with @timestamp only
# that backup goes while others of the label remain; interrupted by
# kill -9 after its info is gone, the snapshot no longer shows as OK and
# the same line run again finishes the job; a snapshot in use by another
# job is refused, as are unknown snapshots and timestamps.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

DATA=$W/data
LOC=$W/loc
mkdir -p "$DATA"
mkrepo "$LOC" --label snap_a
mkrepo "$LOC" --label snap_ab
mkrepo "$LOC" --label snap_b
mkrepo "$LOC" --label snap_multi --timestamp 2024-03-01-16-00-00 \
    --timestamp 2024-03-02-16-00-00
mount_fs "$LOC" -o data="$DATA"

keys()	# LABEL -> its objects
{
	location_keys "$LOC" | grep "^__palo_repository_repo1/__ss_$1/" || :
}
drop()	# LINE ID
{
	echo "$1" >"$MNT/ctl/drop" || fail "drop '$1' refused: $(cat "$MNT/ctl/last_error")"
	assert_eq "$(job_end "$2")" FINISHED "drop '$1'"
}
keys snap_a >"$W/a-before.txt"
keys snap_ab >"$W/ab-before.txt"
keys snap_b >"$W/b-before.txt"
[ -s "$W/ab-before.txt" ] || fail "no objects for snap_ab"

drop snap_a 1
[ -z "$(keys snap_a)" ] || fail "snap_a left: $(keys snap_a | head -n 3)"
keys snap_ab | diff "$W/ab-before.txt" - >/dev/null || fail "snap_ab was touched"
grep -q '^snap_a	' "$MNT/repo1/snapshots.tsv" &&
    fail "snap_a still in snapshots.tsv"
ls "$MNT/repo1" | grep -qx snap_a && fail "snap_a still shown"
grep -q '^Type: DROP$' "$MNT/jobs/1/job.txt" || fail "job.txt: $(cat "$MNT/jobs/1/job.txt")"
n=$(wc -l <"$W/a-before.txt")
grep -q "^Progress: $n/$n files" "$MNT/jobs/1/job.txt" ||
    fail "progress: $(grep Progress "$MNT/jobs/1/job.txt")"

# One backup of two: its info goes, the other stays OK with the content.
drop 'repo1.snap_multi @2024-03-01-16-00-00' 2
grep -q '^snap_multi	2024-03-01-16-00-00	' "$MNT/repo1/snapshots.tsv" &&
    fail "the dropped backup is still listed"
grep -q '^snap_multi	2024-03-02-16-00-00	OK	' "$MNT/repo1/snapshots.tsv" ||
    fail "snapshots.tsv: $(cat "$MNT/repo1/snapshots.tsv")"
echo snap_multi >"$MNT/ctl/verify" || fail "verify snap_multi"
assert_eq "$(job_end 3)" FINISHED "verify of the remaining backup"
assert_eq "$(cat "$MNT/jobs/3/report.txt")" OK "the remaining backup"

# Refused lines.
ctl_refused drop snap_nosuch "snapshot snap_nosuch not found"
ctl_refused drop 'snap_b @2024-01-01-00-00-00' "has no backup at"
ctl_refused drop 'snap_b @2024' "timestamp"
umount_fs

# In use: a verify lingers in each state, the drop is refused meanwhile.
SNAPFS_TEST_PAUSE_MS=3000
export SNAPFS_TEST_PAUSE_MS
mount_fs "$LOC" -o data="$DATA"
echo snap_ab >"$MNT/ctl/verify" || fail "verify snap_ab"
job_wait 4 PENDING
ctl_refused drop snap_ab "in use by job 4"

# Interrupted after the info is gone: not OK any more, content still there.
echo snap_b >"$MNT/ctl/drop" || fail "drop snap_b refused"
job_wait 5 DROPPING_CONTENT
kill_fs
unset SNAPFS_TEST_PAUSE_MS
mount_fs "$LOC" -o data="$DATA"
assert_eq "$(cat "$MNT/jobs/5/state")" CANCELLED "the interrupted drop"
grep -q '^snap_b	\\N	ERROR: No info file found	' "$MNT/repo1/snapshots.tsv" ||
    fail "snapshots.tsv: $(cat "$MNT/repo1/snapshots.tsv")"
keys snap_b | grep -q __info_ && fail "snap_b's info is still there"
keys snap_b | grep -q __ss_content/ || fail "snap_b's content went before the drop was resumed"
drop snap_b 6
[ -z "$(keys snap_b)" ] || fail "snap_b left: $(keys snap_b | head -n 3)"
grep -q '^snap_b	' "$MNT/repo1/snapshots.tsv" && fail "snap_b still listed"
keys snap_ab | diff "$W/ab-before.txt" - >/dev/null || fail "snap_ab was touched"
umount_fs
