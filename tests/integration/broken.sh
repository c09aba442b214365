#!/bin/sh
# broken.sh - snapshots.tsv comes from names alone, as SHOW SNAPSHOT
# without WHERE: a snapshot without an info file is an ERROR row and no
# folder; one whose info is malformed or fails its md5 is an OK row and a
# folder, and opening it reads the info: the folder then holds only
# snapshot.txt, whose Status says why (Doris's "Failed to get info:"), and
# the row's Verified column says so from then on.  A stray
# __info_<ts>.part beside a good info does not hide the snapshot; the
# good snapshots still work.
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
badsum=$(md5sum <"$f" | cut -c1-32)
[ "$badsum" != "${f##*.}" ] || fail "generator: badmd5"
[ -f "$REPO/__ss_snap_part/__info_2024-03-01-16-00-00.part" ] ||
    fail "generator: partleftover"
mount_fs "$LOC"

assert_list "repository folder" ls "$MNT/repo1" <<'END'
repo_info.json
snap_badjson
snap_badmd5
snap_ok
snap_part
snapshots.tsv
END
[ ! -e "$MNT/repo1/snap_noinfo" ] || fail "snap_noinfo is shown"

T=$MNT/repo1/snapshots.tsv
tab=$(printf '\t')
ts=2024-03-01-16-00-00
row()	# LABEL -> its rows
{
	awk -F '\t' -v l="$1" 'NR > 1 && $1 == l' "$T"
}
[ "$(head -n 1 "$T")" = "$(printf 'Snapshot\tTimestamp\tStatus\tVerified')" ] ||
    fail "snapshots.tsv header: $(head -n 1 "$T")"
awk -F '\t' 'NR > 1 && NF != 4 { exit 1 }' "$T" ||
    fail "snapshots.tsv: a row without 4 columns: $(cat "$T")"
tail -n +2 "$T" | cut -f 1 | sort -c 2>/dev/null ||
    fail "snapshots.tsv is not sorted by label"
assert_eq "$(row snap_ok)" "snap_ok${tab}$ts${tab}OK${tab}\\N" "snap_ok row"
assert_eq "$(row snap_noinfo)" \
    "snap_noinfo${tab}\\N${tab}ERROR: No info file found${tab}\\N" "snap_noinfo row"
for l in snap_badjson snap_badmd5; do
	assert_eq "$(row "$l")" "$l${tab}$ts${tab}OK${tab}\\N" "$l row, unopened"
done
row snap_part | grep -q -F -x "snap_part${tab}$ts${tab}OK${tab}\\N" ||
    fail "snap_part has no OK row: $(row snap_part)"

# Opened, a broken info is found out, and stays so.
why_json="Failed to get info: info JSON:"
why_md5="Failed to get info: md5sum does not equal (content $badsum)"
while IFS='|' read -r l why <&3; do
	assert_list "$l folder" ls "$MNT/repo1/$l" <<'END'
snapshot.txt
END
	grep -q -x -F "Status: $why" "$MNT/repo1/$l/snapshot.txt" ||
	    grep -q -x "Status: $why .*" "$MNT/repo1/$l/snapshot.txt" ||
	    fail "$l/snapshot.txt: $(cat "$MNT/repo1/$l/snapshot.txt")"
	case $(row "$l") in
	"$l${tab}$ts${tab}OK${tab}$why"*) ;;
	*)	fail "$l row, opened: $(row "$l")" ;;
	esac
done 3<<EOF
snap_badjson|$why_json
snap_badmd5|$why_md5
EOF
grep -q "__ss_snap_badmd5/__info_$ts\.[0-9a-f]*: md5 of content is $badsum" \
    "$W/log" || fail "no log line of the md5 of snap_badmd5's info"

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
for f in __ss_snap_part/__info_$ts.part \
    "$(cd "$REPO" && ls -d __ss_snap_badmd5/__info_*)" \
    "$(cd "$REPO" && ls -d __ss_snap_noinfo/__meta.*)"; do
	[ -f "$MNT/.raw/__palo_repository_repo1/$f" ] || fail ".raw lacks $f"
done

umount_fs
