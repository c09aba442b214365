#!/bin/sh
# raw.sh - the hidden .raw/ folder mirrors the location: every object at
# its exact key, with its bytes, size and mtime; broken and leftover
# objects included.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --label snap_20240301
mkrepo "$LOC" --label snap_multi --timestamp 2024-03-01-16-00-00 \
    --timestamp 2024-03-02-16-00-00
mkrepo "$LOC" --label snap_noinfo --broken noinfo
mkrepo "$LOC" --label snap_part --broken partleftover
mkrepo "$LOC" --repo other --label snap_x --era 0.13 --unicode
mkrepo "$LOC" --repo sr --root-prefix starrocks --label snap_sr \
    --timestamp 2024-07-23-13-01-12-789
mount_fs "$LOC"

ls "$MNT" | grep -q -x '\.raw' && fail ".raw is not hidden from ls"
[ -d "$MNT/.raw" ] || fail "no .raw folder"

# Same names (files and folders) ...
tree_of "$LOC" >"$W/loc.txt"
tree_of "$MNT/.raw" >"$W/raw.txt" || fail "find of .raw failed"
assert_text "$W/raw.txt" ".raw listing" <"$W/loc.txt"
# ... same sizes and mtimes (whole seconds) of every object ...
(cd "$LOC" && find . -type f -printf '%P %s %T@\n' | sed 's/\.[0-9]*$//' |
    sort) >"$W/loc-attr.txt"
(cd "$MNT/.raw" && find . -type f -printf '%P %s %T@\n' | sed 's/\.[0-9]*$//' |
    sort) >"$W/raw-attr.txt" || fail "find of .raw failed"
assert_text "$W/raw-attr.txt" ".raw sizes and mtimes" <"$W/loc-attr.txt"
[ "$(wc -l <"$W/raw-attr.txt")" -gt 100 ] || fail "too few objects in .raw"
# ... and the same bytes.
diff -r "$LOC" "$MNT/.raw" >"$W/diff.txt" 2>&1 ||
    fail "diff -r of the location and .raw: $(head -n 5 "$W/diff.txt")"

umount_fs
