#!/bin/sh
# fileurl.sh - a file:///path location mounts like the plain path.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC"
mount_fs "file://$LOC"
assert_list "repository folder" ls "$MNT/repo1" <<'END'
repo_info.json
snap_20240301
snapshots.tsv
END
cmp "$MNT/repo1/snap_20240301/info.json" \
    "$(info_file "$LOC" repo1 snap_20240301)" || fail "info.json differs"
diff -r "$LOC" "$MNT/.raw" >/dev/null || fail ".raw differs from the location"
umount_fs
