#!/bin/sh
# manifest.sh - StarRocks (PR #77732) writes __starrocks_snapshot_manifest
# into each tablet folder: the tablet's file names without md5, one a
# line.  It is no file of the tablet (the snapshot tree has none; .raw
# has it at its key); verify checks each tablet's folder against it both
# ways, reports a manifest it cannot read, and never calls it an
# unexpected object; a tablet without one is checked as before.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
M=__starrocks_snapshot_manifest
for l in good garbled; do
	mkrepo "$LOC" --root-prefix starrocks --label "snap_$l" --manifest
done
mkrepo "$LOC" --root-prefix starrocks --label snap_bad --manifest bad
mkrepo "$LOC" --root-prefix starrocks --label snap_old
REPO=$(repo_dir "$LOC" repo1)
TAB=__ss_content/__db_10001/__tbl_10010/__part_10011/__idx_10012/__10013

# Check the generator.
n=$(find "$REPO/__ss_snap_good" -name "$M" | wc -l)
assert_eq "$n" 6 "manifests in snap_good"
[ -z "$(find "$REPO/__ss_snap_old" -name "$M")" ] ||
    fail "generator: snap_old has a manifest"
ls "$REPO/__ss_snap_good/$TAB" | grep -v "^$M\$" |
    sed 's/\.[0-9a-f]\{32\}$//' | sort >"$W/files.txt"
assert_text "$REPO/__ss_snap_good/$TAB/$M" "generator: manifest of 10013" \
    <"$W/files.txt"
dat=$(ls "$REPO/__ss_snap_bad/$TAB" | grep '_0\.dat\.' | head -n 1)
dat=${dat%.*}
grep -q -x missing_0_0.dat "$REPO/__ss_snap_bad/$TAB/$M" ||
    fail "generator: bad manifest names no missing file"
grep -q -x "$dat" "$REPO/__ss_snap_bad/$TAB/$M" &&
    fail "generator: bad manifest names $dat"
# A manifest whose second line is empty cannot be read.
printf 'a.dat\n\nb.dat\n' >"$REPO/__ss_snap_garbled/$TAB/$M"
mount_fs "$LOC"

# The snapshot tree is the info's, with no manifest; .raw has it.
for l in good old; do
	expect_tree "$(info_file "$LOC" repo1 "snap_$l")" >"$W/expect.txt"
	tree_of "$MNT/repo1/snap_$l" >"$W/tree.txt" ||
	    fail "find of snap_$l failed"
	assert_text "$W/tree.txt" "tree of snap_$l" <"$W/expect.txt"
done
find "$MNT/repo1" -name "$M" >"$W/found.txt" || fail "find of repo1 failed"
[ ! -s "$W/found.txt" ] || fail "manifests in the tree: $(cat "$W/found.txt")"
R=$MNT/.raw/${REPO##*/}/__ss_snap_good
cmp "$R/$TAB/$M" "$REPO/__ss_snap_good/$TAB/$M" ||
    fail ".raw copy of the manifest of 10013 differs"
assert_eq "$(find "$R" -name "$M" | wc -l)" 6 "manifests in .raw"

# verify: good, old, and a manifest and folder that disagree both ways.
for l in good old; do
	id=$(job_run verify "repo1.snap_$l")
	assert_eq "$(cat "$MNT/jobs/$id/report.txt")" OK "verify snap_$l"
done
id=$(job_run verify repo1.snap_bad)
assert_text "$MNT/jobs/$id/report.txt" "verify snap_bad" <<END
$TAB: $dat: not in the manifest
$TAB: missing_0_0.dat: in the manifest, missing from storage
END
grep -q "^snap_bad	.*	OK	2 problems (job $id)\$" \
    "$MNT/repo1/snapshots.tsv" ||
    fail "snapshots.tsv: $(cat "$MNT/repo1/snapshots.tsv")"
id=$(job_run verify repo1.snap_garbled)
assert_text "$MNT/jobs/$id/report.txt" "verify snap_garbled" <<END
$TAB/$M: cannot be read: line 2 is no file name
END
umount_fs
