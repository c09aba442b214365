#!/bin/sh
# listing.sh - listing the root, a repository and its snapshots.tsv reads
# no object: one delimiter listing for the root, one for the repository
# and one per snapshot folder (stats.json counts them), whatever the info
# objects weigh; a snapshot folder shows the time of its info object,
# untouched.  Opening a snapshot reads its info, once.  Remote, a listing
# that fails for one snapshot folder among many makes that row "ERROR:
# Failed to get info: <reason>" and leaves the others standing.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
n=12
i=1
while [ $i -le $n ]; do
	# One big info object (400 tablets, their headers only, which keeps
	# the uploads to S3 and Azure short) among small ones.
	if [ $i -eq 3 ]; then
		mkrepo "$LOC" --label "snap_$i" --tablets 400 \
		    --files-per-tablet 1
	else
		mkrepo "$LOC" --label "snap_$i"
	fi
	i=$((i + 1))
done
info=$(info_file "$LOC" repo1 snap_3)
size=$(stat -c %s "$info")
[ "$size" -gt 50000 ] || fail "generator: an info of $size bytes is small"
mount_fs "$LOC"

stat_of()	# COUNTER -> its value in stats.json
{
	sed -n "s/^ *\"$1\": \([0-9]*\).*/\1/p" "$MNT/stats.json"
}
ls "$MNT/repo1" >/dev/null || fail "ls of the repository failed"
ls -l "$MNT/repo1" >/dev/null || fail "ls -l of the repository failed"
cat "$MNT/repo1/snapshots.tsv" >"$W/tsv.txt" || fail "cat snapshots.tsv"
assert_eq "$(grep -c '	OK	' "$W/tsv.txt")" "$n" "OK rows"
assert_eq "$(stat_of read_requests)" 0 "read requests of ls and cat"
assert_eq "$(stat_of bytes_read)" 0 "bytes read by ls and cat"
assert_eq "$(stat_of list_requests)" $((n + 2)) "list requests"

# A snapshot folder has the time of its info object.
assert_eq "$(stat -c %Y "$MNT/repo1/snap_3")" "$(stat -c %Y "$info")" \
    "mtime of snap_3"

# Opening a snapshot reads its info once.
grep -q '^Status: OK$' "$MNT/repo1/snap_3/snapshot.txt" ||
    fail "snap_3/snapshot.txt: $(cat "$MNT/repo1/snap_3/snapshot.txt")"
ls "$MNT/repo1/snap_3/lineitem" >/dev/null || fail "ls snap_3/lineitem"
[ "$(stat_of bytes_read)" -ge "$size" ] || fail "the info was not read"
before=$(stat_of bytes_read)
cat "$MNT/repo1/snap_3/details.json" "$MNT/repo1/snapshots.tsv" >/dev/null
assert_eq "$(stat_of bytes_read)" "$before" "bytes read after the info"
umount_fs

if [ "$BACKEND" != local ]; then
	fault_start
	printf '503 match=__ss_snap_5%%2F\n' >"$W/fault.new"
	mv "$W/fault.new" "$FAULT_CTL"
	mount_fs "$RLOC" $FAULT_OPTS
	cat "$MNT/repo1/snapshots.tsv" >"$W/tsv.txt" || fail "cat snapshots.tsv"
	grep -q '^snap_5	\\N	ERROR: Failed to get info: ' "$W/tsv.txt" ||
	    fail "snap_5 row: $(grep snap_5 "$W/tsv.txt")"
	assert_eq "$(grep -c '	OK	' "$W/tsv.txt")" $((n - 1)) "OK rows"
	ls "$MNT/repo1" | grep -qx snap_5 && fail "snap_5 is shown"
	ls "$MNT/repo1/snap_6" >/dev/null || fail "snap_6 does not open"
	umount_fs
fi
