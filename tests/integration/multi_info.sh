#!/bin/sh
# multi_info.sh - a label with several info files: <label> is the newest,
# <label>@<timestamp> is each one, snapshots.tsv has one row per timestamp.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
# Timestamps given out of order: "newest" is by timestamp.
mkrepo "$LOC" --label snap_multi --timestamp 2024-03-02-16-00-00 \
    --timestamp 2024-03-01-16-00-00 --timestamp 2024-03-03-16-00-00
mkrepo "$LOC" --label snap_one --timestamp 2024-03-05-10-30-00
mount_fs "$LOC"

assert_list "repository folder" ls "$MNT/repo1" <<'END'
repo_info.json
snap_multi
snap_multi@2024-03-01-16-00-00
snap_multi@2024-03-02-16-00-00
snap_multi@2024-03-03-16-00-00
snap_one
snapshots.tsv
END

printf '%s\t%s\t%s\t%s\n' Snapshot Timestamp Status Verified \
    snap_multi 2024-03-01-16-00-00 OK '\N' \
    snap_multi 2024-03-02-16-00-00 OK '\N' \
    snap_multi 2024-03-03-16-00-00 OK '\N' \
    snap_one 2024-03-05-10-30-00 OK '\N' >"$W/tsv.txt"
assert_text "$MNT/repo1/snapshots.tsv" "snapshots.tsv" <"$W/tsv.txt"

check_snapshot()	# FOLDER TIMESTAMP
{
	S=$MNT/repo1/$1
	info=$(info_file "$LOC" repo1 snap_multi "$2")
	cmp "$S/info.json" "$info" || fail "$1/info.json is not __info_$2"
	printf 'Snapshot: snap_multi\nTimestamp: %s\nDatabase: sales\nStatus: OK\n%s\n' \
	    "$2" "Global: none" >"$W/txt.txt"
	assert_text "$S/snapshot.txt" "$1/snapshot.txt" <"$W/txt.txt"
	expect_tree "$info" >"$W/expect.txt"
	tree_of "$S" >"$W/tree.txt" || fail "find of $1 failed"
	assert_text "$W/tree.txt" "$1 tree" <"$W/expect.txt"
	python3 - "$S/details.json" "$info" <<'END' ||
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
i = json.load(open(sys.argv[2], encoding="utf-8"))
if d["backup_time"] != i["backup_time"] or d["name"] != "snap_multi":
    sys.exit("details.json %r is not that of this info" % d)
END
	    fail "$1/details.json is wrong"
}

check_snapshot snap_multi 2024-03-03-16-00-00
for ts in 2024-03-01-16-00-00 2024-03-02-16-00-00 2024-03-03-16-00-00; do
	check_snapshot "snap_multi@$ts" "$ts"
done

# A label with one info file has no @ folder.
[ ! -e "$MNT/repo1/snap_one@2024-03-05-10-30-00" ] ||
    fail "snap_one@2024-03-05-10-30-00 exists for a single info file"
[ -d "$MNT/repo1/snap_one" ] || fail "snap_one is not a folder"

umount_fs
