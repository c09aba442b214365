#!/bin/sh
# attrs.sh - attributes: exact sizes, st_blocks = ceil(size/512), mtime of
# the object, inode numbers unique and the same across stats and across an
# unmount and remount; every write fails with EROFS or EACCES and leaves
# the location untouched.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog stat touch mkdir rm mv ln chmod truncate rmdir md5sum wc

LOC=$W/loc
REPO=$LOC/__palo_repository_repo1
mkrepo "$LOC" --label snap_20240301
mkrepo "$LOC" --label snap_two --timestamp 2024-04-01-09-30-00 --unicode
tab=$(printf '\t')
mount_fs "$LOC"

# Tablet files: size, blocks and mtime of their objects.
for l in snap_20240301 snap_two; do
	expect_files "$(info_file "$LOC" repo1 "$l")" >"$W/files.txt"
	n=0
	while IFS=$tab read -r path key; do
		# shellcheck disable=SC2046 # split into size, blocks, mtime
		set -- $(stat -c '%s %b %Y' "$MNT/repo1/$l/$path") ||
		    fail "stat $l/$path failed"
		src=$(stat -c '%s %Y' "$REPO/__ss_$l/$key")
		assert_eq "$1 $3" "$src" "$l/$path: size and mtime"
		assert_eq "$2" "$((($1 + 511) / 512))" "$l/$path: st_blocks"
		n=$((n + 1))
	done <"$W/files.txt"
	[ "$n" -gt 10 ] || fail "$l: only $n files checked"
done
# Objects under .raw too.
(cd "$LOC" && find . -type f) >"$W/objects.txt"
while read -r f; do
	assert_eq "$(stat -c '%s %Y' "$MNT/.raw/$f")" "$(stat -c '%s %Y' "$LOC/$f")" \
	    ".raw/$f: size and mtime"
done <"$W/objects.txt"

# Files that snapfs makes up report the size of what a read returns.
for f in repo1/snapshots.tsv repo1/repo_info.json \
    repo1/snap_20240301/snapshot.txt repo1/snap_20240301/details.json \
    repo1/snap_20240301/info.json repo1/snap_20240301/orders/p202401/partition.txt \
    repo1/snap_two/订单/p一月/partition.txt; do
	size=$(stat -c %s "$MNT/$f") || fail "stat $f failed"
	assert_eq "$size" "$(wc -c <"$MNT/$f")" "$f: st_size vs bytes read"
	[ "$size" -gt 0 ] || fail "$f is empty"
	assert_eq "$(stat -c %b "$MNT/$f")" "$(((size + 511) / 512))" \
	    "$f: st_blocks"
done
[ "$(stat -c %Y "$MNT/repo1/snap_20240301/info.json")" = \
    "$(stat -c %Y "$(info_file "$LOC" repo1 snap_20240301)")" ] ||
    fail "info.json: mtime is not the info object's"

# Inode numbers: unique, stable, and the same after a remount.
inodes()
{
	find "$MNT" -path "$MNT/stats.json" -o -printf '%i %P\n' | sort -k 2 ||
	    fail "find of the mount failed"
}
inodes >"$W/ino1.txt"
inodes >"$W/ino2.txt"
cmp -s "$W/ino1.txt" "$W/ino2.txt" || fail "inode numbers changed between two finds"
[ -z "$(cut -d ' ' -f 1 "$W/ino1.txt" | sort | uniq -d)" ] ||
    fail "inode numbers used twice: $(cut -d ' ' -f 1 "$W/ino1.txt" | sort | uniq -d | head -n 5)"
F=$MNT/repo1/snap_20240301/orders/p202401/10013/10013.hdr
i1=$(stat -c %i "$F")
i2=$(stat -c %i "$F")
assert_eq "$i2" "$i1" "inode of 10013.hdr between two stats"
umount_fs
mount_fs "$LOC"
assert_eq "$(stat -c %i "$F")" "$i1" "inode of 10013.hdr after remount"
inodes >"$W/ino3.txt"
if ! cmp -s "$W/ino1.txt" "$W/ino3.txt"; then
	diff "$W/ino1.txt" "$W/ino3.txt" | head -n 10 >&2
	fail "inode numbers changed across unmount and remount"
fi

# Writes fail.
state()
{
	(cd "$LOC" && find . -printf '%P %s %T@ %m\n' | sort &&
	    find . -type f -exec md5sum {} + | sort)
}
state >"$W/before.txt"
S=$MNT/repo1/snap_20240301
T=$S/orders/p202401/10013
RAWF=$MNT/.raw/__palo_repository_repo1/__repo_info
assert_fails_erofs "create" touch "$MNT/repo1/new"
assert_fails_erofs "create at top level" touch "$MNT/new"
assert_fails_erofs "create in a tablet" touch "$T/new.dat"
assert_fails_erofs "create in .raw" touch "$MNT/.raw/new"
assert_fails_erofs "utimens" touch "$S/snapshot.txt"
assert_fails_erofs "utimens of a tablet file" touch "$T/10013.hdr"
assert_fails_erofs "mkdir" mkdir "$MNT/repo1/newdir"
assert_fails_erofs "mkdir at top level" mkdir "$MNT/repo2"
assert_fails_erofs "rm" rm -f "$T/10013.hdr"
assert_fails_erofs "rm in .raw" rm -f "$RAWF"
assert_fails_erofs "rmdir" rmdir "$T"
assert_fails_erofs "rm -r" rm -rf "$S/users"
assert_fails_erofs "overwrite" sh -c 'echo x >"$1"' sh "$S/snapshot.txt"
assert_fails_erofs "overwrite a tablet file" sh -c 'echo x >"$1"' sh "$T/10013.hdr"
assert_fails_erofs "append" sh -c 'echo x >>"$1"' sh "$RAWF"
assert_fails_erofs "truncate" truncate -s 0 "$T/10013.hdr"
assert_fails_erofs "rename" mv "$S/info.json" "$S/info2.json"
assert_fails_erofs "rename a folder" mv "$S/orders" "$S/orders2"
assert_fails_erofs "chmod" chmod 777 "$T/10013.hdr"
assert_fails_erofs "symlink" ln -s x "$S/link"
assert_fails_erofs "hard link" ln "$T/10013.hdr" "$T/10013.hdr2"
state >"$W/after.txt"
cmp -s "$W/before.txt" "$W/after.txt" || fail "the location changed"
assert_eq "$(stat -c %s "$T/10013.hdr")" \
    "$(stat -c %s "$REPO"/__ss_snap_20240301/__ss_content/__db_10001/__tbl_10010/__part_10011/__idx_10012/__10013/10013.hdr.*)" \
    "10013.hdr size after the write attempts"

umount_fs
