#!/bin/sh
# rows.sh - every row snapshots.tsv shows can be verified and dropped: a
# snapshot without an info ("ERROR: No info file found"), with an info
# whose md5 is wrong, with an info that is no JSON (OK rows, from names
# alone, until the info is read), with an info without an
# md5 in its name ("Invalid: ..."), as a good one.  A verify reports what
# is there and fills the row's Verified column; a drop removes the
# snapshot's objects and its folder, and its row goes.  On a local
# location, a drop removes a link in the content itself, never what it
# points to.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --label snap_ok
mkrepo "$LOC" --label snap_noinfo --broken noinfo
mkrepo "$LOC" --label snap_badmd5 --broken badmd5info
mkrepo "$LOC" --label snap_badjson --broken badjson
mkrepo "$LOC" --label snap_nomd5
SS=$LOC/__palo_repository_repo1/__ss_
info=$(ls "$SS"snap_nomd5/__info_*)
mv "$info" "${info%.*}"
if [ "$BACKEND" = local ]; then
	mkrepo "$LOC" --label snap_link
	mkdir "$W/target"
	echo keep >"$W/target/keep.dat"
	tab=$(find "$SS"snap_link/__ss_content -name '__10013' -type d)
	ln -s "$W/target" "$tab/linkdir"
	ln -s "$W/target/keep.dat" "$tab/keep.dat.0123456789abcdef0123456789abcdef"
fi
mount_fs "$LOC"

row()	# LABEL -> its snapshots.tsv rows
{
	grep "^$1	" "$MNT/repo1/snapshots.tsv" || :
}
# LABEL|its row's Status|what verify reports
while IFS='|' read -r label status report <&3; do
	row "$label" | grep -q "	$status" ||
	    fail "$label: row is '$(row "$label")'"
	id=$(job_run verify "repo1.$label")
	grep -q -- "$report" "$MNT/jobs/$id/report.txt" ||
	    fail "$label: the report says: $(cat "$MNT/jobs/$id/report.txt")"
	row "$label" | grep -q "	$status.*	[0-9]* problems\{0,1\} (job $id)\$" ||
	    fail "$label: Verified column: '$(row "$label")'"
	job_run drop "repo1.$label" >/dev/null
	[ -z "$(row "$label")" ] || fail "$label: still a row: $(row "$label")"
	[ -z "$(location_keys "$LOC" | grep "__ss_$label/")" ] ||
	    fail "$label: objects left: $(location_keys "$LOC" | grep "__ss_$label/" | head -n 3)"
	[ "$BACKEND" != local ] || [ ! -e "$SS$label" ] ||
	    fail "$label: its folder is left: $(find "$SS$label" | head -n 5)"
done 3<<EOF
snap_noinfo|ERROR: No info file found|no info file: nothing to check
snap_badmd5|OK|md5sum does not equal
snap_badjson|OK|info JSON
EOF

# A row without a timestamp of its own (Invalid: <name>) is verified as
# a snapshot without an info, and dropped.
row snap_nomd5 | grep -q "Invalid: __info_" || fail "snap_nomd5: $(row snap_nomd5)"
id=$(job_run verify repo1.snap_nomd5)
grep -q "no info file" "$MNT/jobs/$id/report.txt" ||
    fail "snap_nomd5: $(cat "$MNT/jobs/$id/report.txt")"
job_run drop repo1.snap_nomd5 >/dev/null
[ -z "$(row snap_nomd5)" ] || fail "snap_nomd5 still a row"

if [ "$BACKEND" = local ]; then
	job_run drop repo1.snap_link >/dev/null
	[ ! -e "$SS"snap_link ] && [ ! -L "$SS"snap_link ] ||
	    fail "snap_link: left behind: $(find "$SS"snap_link | head -n 5)"
	[ -z "$(row snap_link)" ] || fail "snap_link still a row"
	assert_eq "$(cat "$W/target/keep.dat")" keep "the link's target"
fi
row snap_ok | grep -q "	OK	" || fail "snap_ok: $(row snap_ok)"
umount_fs
