#!/bin/sh
# broken.sh - snapshots without a valid info file (none, malformed JSON,
# md5 suffix that does not match) are ERROR rows in snapshots.tsv and not
# folders; a stray __info_<ts>.part beside a good info does not hide the
# snapshot; the good snapshots still work.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
REPO=$LOC/__palo_repository_repo1
mkrepo "$LOC" --label snap_ok
mkrepo "$LOC" --label snap_noinfo --broken noinfo
mkrepo "$LOC" --label snap_badjson --broken badjson
mkrepo "$LOC" --label snap_badmd5 --broken badmd5info
mkrepo "$LOC" --label snap_part --broken partleftover
# Check the planted defects themselves.
f=$(info_file "$LOC" repo1 snap_badjson)
[ "$(md5sum <"$f" | cut -c1-32)" = "${f##*.}" ] || fail "generator: badjson"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" 2>/dev/null &&
    fail "generator: badjson is valid JSON"
f=$(info_file "$LOC" repo1 snap_badmd5)
[ "$(md5sum <"$f" | cut -c1-32)" != "${f##*.}" ] || fail "generator: badmd5"
[ -f "$REPO/__ss_snap_part/__info_2024-03-01-16-00-00.part" ] ||
    fail "generator: partleftover"
mount_fs "$LOC"

assert_list "repository folder" ls "$MNT/repo1" <<'END'
repo_info.json
snap_ok
snap_part
snapshots.tsv
END
for l in snap_noinfo snap_badjson snap_badmd5; do
	[ ! -e "$MNT/repo1/$l" ] || fail "$l is shown although its info is bad"
	ls "$MNT/repo1/$l" >/dev/null 2>&1 && fail "ls $l succeeded"
done

T=$MNT/repo1/snapshots.tsv
cp "$T" "$W/tsv.txt" || fail "cannot read snapshots.tsv"
[ "$(head -n 1 "$W/tsv.txt")" = "$(printf 'Snapshot\tTimestamp\tStatus\tVerified')" ] ||
    fail "snapshots.tsv header: $(head -n 1 "$W/tsv.txt")"
awk -F '\t' 'NR > 1 && NF != 4 { exit 1 }' "$W/tsv.txt" ||
    fail "snapshots.tsv: a row without 4 columns: $(cat "$W/tsv.txt")"
tail -n +2 "$W/tsv.txt" | cut -f 1 >"$W/labels.txt"
sort -c "$W/labels.txt" 2>/dev/null || fail "snapshots.tsv is not sorted by label"

row()	# LABEL -> its rows
{
	awk -F '\t' -v l="$1" 'NR > 1 && $1 == l' "$W/tsv.txt"
}
tab=$(printf '\t')
assert_eq "$(row snap_ok)" "snap_ok${tab}2024-03-01-16-00-00${tab}OK${tab}\\N" \
    "snap_ok row"
assert_eq "$(row snap_noinfo)" \
    "snap_noinfo${tab}\\N${tab}ERROR: No info file found${tab}\\N" "snap_noinfo row"
for l in snap_badjson snap_badmd5; do
	r=$(row "$l")
	[ -n "$r" ] || fail "no row for $l"
	[ "$(echo "$r" | wc -l)" -eq 1 ] || fail "several rows for $l: $r"
	case $(echo "$r" | cut -f 3) in
	"ERROR: "?*) ;;
	*)	fail "$l row is not an ERROR: '$r'" ;;
	esac
done
row snap_part | grep -q -F -x "snap_part${tab}2024-03-01-16-00-00${tab}OK${tab}\\N" ||
    fail "snap_part has no OK row: $(row snap_part)"

# The good snapshots still work, the one with a .part leftover included.
for l in snap_ok snap_part; do
	S=$MNT/repo1/$l
	info=$(info_file "$LOC" repo1 "$l")
	cmp "$S/info.json" "$info" || fail "$l/info.json differs"
	expect_tree "$info" >"$W/expect.txt"
	tree_of "$S" >"$W/tree.txt" || fail "find of $l failed"
	assert_text "$W/tree.txt" "$l tree" <"$W/expect.txt"
	expect_files "$info" >"$W/files.txt"
	while IFS=$tab read -r path key; do
		cmp "$S/$path" "$REPO/__ss_$l/$key" || fail "$l/$path differs"
	done <"$W/files.txt"
done

# Every object, broken ones included, is still under .raw.
for f in __ss_snap_part/__info_2024-03-01-16-00-00.part \
    "$(cd "$REPO" && ls -d __ss_snap_badmd5/__info_*)" \
    "$(cd "$REPO" && ls -d __ss_snap_noinfo/__meta.*)"; do
	[ -f "$MNT/.raw/__palo_repository_repo1/$f" ] || fail ".raw lacks $f"
done

umount_fs
