#!/bin/sh
# rsync.sh - rsync -a of the whole mount succeeds, its .raw copy equals the
# location, a second rsync finds nothing to do (stable sizes, mtimes,
# folders); find counts every entry of the tree and du sees the data.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog rsync du wc

LOC=$W/loc
mkrepo "$LOC" --label snap_20240301
mkrepo "$LOC" --label snap_multi --timestamp 2024-03-01-16-00-00 \
    --timestamp 2024-03-02-16-00-00 --unicode
mkrepo "$LOC" --label snap_noinfo --broken noinfo
mount_fs "$LOC"

# ctl/ and jobs/ are the control surface, stats.json changes: not data.
rsync -a --exclude=/stats.json --exclude=/ctl --exclude=/jobs "$MNT/" \
    "$W/copy/" >"$W/rsync.txt" 2>&1 ||
    fail "rsync -a of the mount failed: $(tail -n 5 "$W/rsync.txt")"
diff -r "$W/copy/.raw" "$LOC" >"$W/diff.txt" 2>&1 ||
    fail "the copy of .raw differs from the location: $(head -n 5 "$W/diff.txt")"
diff -r "$W/copy/repo1" "$MNT/repo1" >"$W/diff.txt" 2>&1 ||
    fail "the copy differs from the mount: $(head -n 5 "$W/diff.txt")"
rsync -a --itemize-changes --exclude=/stats.json --exclude=/ctl \
    --exclude=/jobs "$MNT/" "$W/copy/" \
    >"$W/rsync2.txt" 2>&1 || fail "second rsync failed: $(tail -n 5 "$W/rsync2.txt")"
[ ! -s "$W/rsync2.txt" ] ||
    fail "second rsync transferred: $(head -n 10 "$W/rsync2.txt")"

# find: the repository folder, repo_info.json, snapshots.tsv and every
# snapshot folder's tree (snap_multi is its newest info; snap_multi@ts
# each one).
expected=3
for info in "$(info_file "$LOC" repo1 snap_20240301)" \
    "$(info_file "$LOC" repo1 snap_multi)" \
    "$(info_file "$LOC" repo1 snap_multi 2024-03-01-16-00-00)" \
    "$(info_file "$LOC" repo1 snap_multi 2024-03-02-16-00-00)"; do
	n=$(expect_tree "$info" | wc -l)
	expected=$((expected + n))
done
count=$(find "$MNT/repo1" | wc -l)
assert_eq "$count" "$expected" "entries found under repo1"

blocks=$(du -s "$MNT/repo1" | cut -f 1)
[ "$blocks" -gt 0 ] || fail "du -s of repo1 is $blocks"
# du -b counts every byte: at least those of the tablet files.
bytes=$(du -s -b "$MNT/repo1/snap_20240301" | cut -f 1)
src=$(find "$LOC/__palo_repository_repo1/__ss_snap_20240301/__ss_content" \
    -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
[ "$bytes" -ge "$src" ] ||
    fail "du -b of the snapshot ($bytes) is less than its files' $src bytes"

umount_fs
