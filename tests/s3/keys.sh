#!/bin/sh
# s3/keys.sh - keys a strict S3 server must sign right, written by the aws
# CLI and read through the mount: ':' in labels, UTF-8 table names, keys
# with spaces, '+', '@', '~', '=', '&' and '%' in .raw; a folder of 1,500
# objects and a snapshot of 1,200 files (listings over several pages, also
# of 7 keys with -o list_chunk=7).
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

s3_start
s3_bucket
LOC=$W/loc
mkrepo "$LOC" --label "snap:2026-11-25" --unicode
mkrepo "$LOC" --label many_files --tablets 400 --buckets 100 \
    --files-per-tablet 3 --file-size 10
mkdir -p "$LOC/odd/订单" "$LOC/pages"
for k in "a b+c@d~e=f&g%h" "semi;colon" "quote'mark" "订单/x y"; do
	printf '%s\n' "$k" >"$LOC/odd/$k"
done
i=0
while [ $i -lt 1500 ]; do
	echo $i >"$LOC/pages/k$i"
	i=$((i + 1))
done
s3_publish "$LOC"
mount_fs "$S3LOC" $S3_OPTS

diff -r "$LOC/odd" "$MNT/.raw/odd" || fail ".raw/odd differs"
# Names and sizes of the 1,500 objects (one listing); bytes of a few.
(cd "$LOC/pages" && find . -type f -printf '%P %s\n' | sort) >"$W/pages.txt"
(cd "$MNT/.raw/pages" && find . -type f -printf '%P %s\n' | sort) >"$W/mnt-pages.txt"
cmp -s "$W/pages.txt" "$W/mnt-pages.txt" || fail ".raw/pages differs"
assert_eq "$(ls "$MNT/.raw/pages" | wc -l)" 1500 "objects in .raw/pages"
for k in k0 k999 k1000 k1499; do
	cmp "$LOC/pages/$k" "$MNT/.raw/pages/$k" || fail "pages/$k differs"
done

ls "$MNT/repo1" | grep -qx "snap:2026-11-25" || fail "label with ':' missing"
ls "$MNT/repo1/snap:2026-11-25" | grep -qx "订单" || fail "UTF-8 table missing"

INFO=$(info_file "$LOC" repo1 many_files)
expect_tree "$INFO" >"$W/expect.txt"
tree_of "$MNT/repo1/many_files" >"$W/got.txt"
cmp -s "$W/expect.txt" "$W/got.txt" || {
	diff "$W/expect.txt" "$W/got.txt" | head -n 20 >&2
	fail "snapshot of 1,200 files: tree differs"
}
diff -r "$(repo_dir "$LOC" repo1)/__ss_snap:2026-11-25" \
    "$MNT/.raw/__palo_repository_repo1/__ss_snap:2026-11-25" ||
    fail ".raw of the snapshot with ':' differs"
LISTS=$(awk -F': ' '/list_requests/ { sub(",", "", $2); print $2 }' \
    "$MNT/stats.json")
note "list requests for all of the above: $LISTS"
umount_fs
# 7 keys a page: the same 1,500 objects, over 215 pages.
mount_fs "$S3LOC" $S3_OPTS -o list_chunk=7
(cd "$MNT/.raw/pages" && find . -type f -printf '%P %s\n' | sort) >"$W/mnt-pages.txt"
cmp -s "$W/pages.txt" "$W/mnt-pages.txt" || fail ".raw/pages of 7 a page differs"
umount_fs
