#!/bin/sh
# global.sh - BACKUP GLOBAL's __global_info_<ts>.<md5> (users with their
# password hashes, grants, catalogs, workload groups) is no job info: a
# snapshot with only that is still "ERROR: No info file found".  Beside
# the info of the same timestamp it is global.sql in the snapshot folder,
# mode 0400 there and in .raw, read md5-checked; snapshot.txt ends with a
# Global: line.  One with a wrong md5 cannot be read.  Verify reads and
# checks it; a drop of one backup of a label takes its global info along.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog md5sum stat

LOC=$W/loc
REPO=$LOC/__palo_repository_repo1
t1=2024-03-01-16-00-00
t2=2024-03-02-16-00-00
mkrepo "$LOC" --label snap_g --global-info
mkrepo "$LOC" --label snap_multi --timestamp "$t1" --timestamp "$t2" \
    --global-info
mkrepo "$LOC" --label snap_plain
mkrepo "$LOC" --label snap_gonly --broken noinfo --global-info
mkrepo "$LOC" --label snap_gbad --global-info badmd5

# global_file LABEL TIMESTAMP: the object's path.
global_file()
{
	_f=$(ls "$REPO/__ss_$1" | grep "^__global_info_$2\.[0-9a-f]\{32\}\$")
	[ -n "$_f" ] || fail "generator: no global info in __ss_$1 for $2"
	echo "$REPO/__ss_$1/$_f"
}
# Check the generator.
g=$(global_file snap_g "$t1")
[ "$(md5sum <"$g" | cut -c1-32)" = "${g##*.}" ] || fail "generator: md5"
hash="'\*[0-9A-F]\{40\}'"
grep -q "^create user 'analyst'@'%' identified by password $hash;\$" "$g" ||
    fail "generator: no create user line in $g"
gbad=$(global_file snap_gbad "$t1")
[ "$(md5sum <"$gbad" | cut -c1-32)" != "${gbad##*.}" ] ||
    fail "generator: badmd5"
[ -z "$(ls "$REPO/__ss_snap_gonly" | grep '^__info_')" ] ||
    fail "generator: noinfo"
global_file snap_gonly "$t1" >/dev/null
mount_fs "$LOC"

# A global info alone is no job info.
tab=$(printf '\t')
grep -q -x -F "snap_gonly$tab\\N${tab}ERROR: No info file found$tab\\N" \
    "$MNT/repo1/snapshots.tsv" ||
    fail "snap_gonly row: $(grep snap_gonly "$MNT/repo1/snapshots.tsv")"
assert_eq "$(grep -c "^snap_g$tab" "$MNT/repo1/snapshots.tsv")" 1 \
    "snap_g rows"
[ ! -e "$MNT/repo1/snap_gonly" ] || fail "snap_gonly is shown"

S=$MNT/repo1/snap_g
assert_list "snap_g folder" ls "$S" <<'END'
details.json
global.sql
info.json
orders
snapshot.txt
users
END
assert_text "$S/snapshot.txt" "snap_g/snapshot.txt" <<END
Snapshot: snap_g
Timestamp: $t1
Database: sales
Status: OK
Global: global.sql (users, grants, catalogs, workload groups)
END
cmp "$S/global.sql" "$g" || fail "snap_g/global.sql differs from $g"
assert_eq "$(stat -c %a "$S/global.sql")" 400 "mode of global.sql"
assert_eq "$(stat -c %s "$S/global.sql")" "$(stat -c %s "$g")" \
    "size of global.sql"
assert_eq "$(stat -c %a "$S/info.json")" 444 "mode of info.json"
assert_eq "$(stat -c %a "$S/snapshot.txt")" 444 "mode of snapshot.txt"

R=$MNT/.raw/__palo_repository_repo1/__ss_snap_g
assert_eq "$(stat -c %a "$R/${g##*/}")" 400 "mode of the object in .raw"
cmp "$R/${g##*/}" "$g" || fail ".raw copy of ${g##*/} differs"
i=$(info_file "$LOC" repo1 snap_g)
assert_eq "$(stat -c %a "$R/${i##*/}")" 444 "mode of the info in .raw"

# Each backup of a label shows the global info of its own timestamp.
for f in "snap_multi@$t1|$t1" "snap_multi@$t2|$t2" "snap_multi|$t2"; do
	d=${f%|*} ts=${f#*|}
	cmp "$MNT/repo1/$d/global.sql" "$(global_file snap_multi "$ts")" ||
	    fail "$d/global.sql is not the global info of $ts"
	tail -n 1 "$MNT/repo1/$d/snapshot.txt" |
	    grep -q '^Global: global.sql' ||
	    fail "$d/snapshot.txt: $(cat "$MNT/repo1/$d/snapshot.txt")"
done

# No global info: no global.sql, and snapshot.txt says so.
[ ! -e "$MNT/repo1/snap_plain/global.sql" ] || fail "snap_plain/global.sql"
assert_text "$MNT/repo1/snap_plain/snapshot.txt" "snap_plain/snapshot.txt" \
    <<END
Snapshot: snap_plain
Timestamp: $t1
Database: sales
Status: OK
Global: none
END

# A damaged one fails to read, and gives no byte.
for F in "$MNT/repo1/snap_gbad/global.sql" \
    "$MNT/.raw/__palo_repository_repo1/__ss_snap_gbad/${gbad##*/}"; do
	assert_eq "$(stat -c %a "$F")" 400 "mode of damaged $F"
	cat "$F" >"$W/out" 2>"$W/err" && fail "cat of damaged $F succeeded"
	grep -q -e 'Input/output error' -e 'Bad message' "$W/err" ||
	    fail "cat of damaged $F: '$(cat "$W/err")'"
	[ ! -s "$W/out" ] || fail "cat of damaged $F output bytes"
done
grep -q -F "__ss_snap_gbad/${gbad##*/}" "$W/log" ||
    fail "the log does not name ${gbad##*/}"

# verify: the global info is checked, not taken for an unexpected object.
id=$(job_run verify repo1.snap_g)
assert_eq "$(cat "$MNT/jobs/$id/report.txt")" OK "verify snap_g's report"
id=$(job_run verify repo1.snap_gbad)
grep -q "${gbad##*/}: md5 mismatch" "$MNT/jobs/$id/report.txt" ||
    fail "verify snap_gbad: $(cat "$MNT/jobs/$id/report.txt")"
# drop of one backup: its global info goes, the other's stays.
g2=$(global_file snap_multi "$t2")
job_run drop "repo1.snap_multi @$t1" >/dev/null
location_keys "$LOC" | grep -q "__ss_snap_multi/__global_info_$t1" &&
    fail "the global info of $t1 is left"
location_keys "$LOC" | grep -q "${g2##*/}" ||
    fail "the global info of $t2 is gone"
umount_fs
