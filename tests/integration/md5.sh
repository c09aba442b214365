#!/bin/sh
# md5.sh - a tablet file whose bytes do not match its md5 suffix cannot be
# read: a small one fails before any byte is returned; a 12 MiB one makes
# cat, cp and rsync fail and rsync keeps no file; the log names the object
# key; good files (small and 12 MiB) read identical to their objects.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog rsync md5sum cp head

LOC=$W/loc
REPO=$LOC/__palo_repository_repo1
mkrepo "$LOC" --label snap_flip --broken flipbyte
mkrepo "$LOC" --label snap_big --broken flipbig
mkrepo "$LOC" --label snap_bigok --big 12582912
tab=$(printf '\t')

# flipped LABEL: "<path in snapshot folder> TAB <key>" of damaged objects.
flipped()
{
	expect_files "$(info_file "$LOC" repo1 "$1")" >"$W/files-$1.txt"
	while IFS=$tab read -r path key; do
		sum=$(md5sum <"$REPO/__ss_$1/$key" | cut -c1-32)
		[ "$sum" = "${key##*.}" ] || printf '%s\t%s\n' "$path" "$key"
	done <"$W/files-$1.txt"
}
flipped snap_flip >"$W/bad-small.txt"
flipped snap_big >"$W/bad-big.txt"
flipped snap_bigok >"$W/bad-none.txt"
[ "$(wc -l <"$W/bad-small.txt")" -eq 1 ] || fail "generator: flipbyte"
[ "$(wc -l <"$W/bad-big.txt")" -eq 1 ] || fail "generator: flipbig"
[ ! -s "$W/bad-none.txt" ] || fail "generator: --big"
IFS=$tab read -r small_path small_key <"$W/bad-small.txt"
IFS=$tab read -r big_path big_key <"$W/bad-big.txt"
[ "$(stat -c %s "$REPO/__ss_snap_big/$big_key")" -eq 12582912 ] ||
    fail "generator: flipbig size"

mount_fs "$LOC"

# Small damaged file: every read fails with EIO, no byte comes out.
F=$MNT/repo1/snap_flip/$small_path
for _ in 1 2; do
	cat "$F" >"$W/out" 2>"$W/err" && fail "cat of damaged $small_path succeeded"
	grep -q 'Input/output error' "$W/err" ||
	    fail "cat of damaged $small_path: '$(cat "$W/err")', not EIO"
	[ ! -s "$W/out" ] ||
	    fail "cat of damaged $small_path output $(wc -c <"$W/out") bytes"
done
head -c 1 "$F" >"$W/out" 2>/dev/null && fail "head -c 1 of damaged file succeeded"
[ ! -s "$W/out" ] || fail "head -c 1 of damaged file output a byte"
grep -q -F "__palo_repository_repo1/__ss_snap_flip/$small_key" "$W/log" ||
    fail "the log does not name $small_key"

# 12 MiB damaged file: no copy can complete.
F=$MNT/repo1/snap_big/$big_path
cat "$F" >"$W/out" 2>"$W/err" && fail "cat of damaged 12 MiB file succeeded"
grep -q 'Input/output error' "$W/err" ||
    fail "cat of damaged 12 MiB file: '$(cat "$W/err")', not EIO"
cp "$F" "$W/cp.dat" 2>"$W/err" && fail "cp of damaged 12 MiB file succeeded"
grep -q 'Input/output error' "$W/err" ||
    fail "cp of damaged 12 MiB file: '$(cat "$W/err")', not EIO"
mkdir "$W/rs"
rsync "$F" "$W/rs/" >"$W/err" 2>&1 &&
    fail "rsync of damaged 12 MiB file succeeded"
[ -z "$(ls -A "$W/rs")" ] ||
    fail "rsync kept a file of the damaged object: $(ls -A "$W/rs")"
grep -q -F "__palo_repository_repo1/__ss_snap_big/$big_key" "$W/log" ||
    fail "the log does not name $big_key"

# Good files read identical to their objects: every other file of the
# damaged snapshots, and a good 12 MiB file (with cat, cp and rsync).
for l in snap_flip snap_big snap_bigok; do
	n=0
	while IFS=$tab read -r path key; do
		grep -q -F -x "$path$tab$key" "$W/bad-small.txt" "$W/bad-big.txt" &&
		    continue
		cmp "$MNT/repo1/$l/$path" "$REPO/__ss_$l/$key" ||
		    fail "$l/$path differs from its object"
		n=$((n + 1))
	done <"$W/files-$l.txt"
	[ "$n" -ge 13 ] || fail "$l: only $n good files checked"
done
big_ok=$(head -n 1 "$W/files-snap_bigok.txt" | cut -f 1)
big_ok_key=$(head -n 1 "$W/files-snap_bigok.txt" | cut -f 2)
[ "$(stat -c %s "$MNT/repo1/snap_bigok/$big_ok")" -eq 12582912 ] ||
    fail "good 12 MiB file: wrong size"
cp "$MNT/repo1/snap_bigok/$big_ok" "$W/ok.dat" || fail "cp of good 12 MiB file"
cmp "$W/ok.dat" "$REPO/__ss_snap_bigok/$big_ok_key" || fail "cp copy differs"
rsync "$MNT/repo1/snap_bigok/$big_ok" "$W/rs/" || fail "rsync of good file"
cmp "$W/rs/$(basename "$big_ok")" "$REPO/__ss_snap_bigok/$big_ok_key" ||
    fail "rsync copy differs"

umount_fs
