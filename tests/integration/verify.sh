#!/bin/sh
# verify.sh - ctl/verify reads every object of a snapshot and reports each
# kind of damage planted here (a byte flipped, a file missing, an extra
# file, a tablet missing, a bad tablet header, no __meta, a tablets_order
# that disagrees), passes a clean snapshot, ends FINISHED either way, and
# snapshots.tsv shows the result; lines that cannot be checked are
# refused with a reason; a snapshot without an info is verified by what
# is there; the thread of each job is joined once it ends.  Without a
# data root: verify needs none.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog md5sum

LOC=$W/loc
for l in clean flip missing extra notablet nometa badmeta order; do
	mkrepo "$LOC" --label "snap_$l"
done
mkrepo "$LOC" --label snap_flip2 --broken flipbyte
mkrepo "$LOC" --label snap_badhdr2 --broken badhdr
mkrepo "$LOC" --label snap_noinfo --broken noinfo

SS=$LOC/__palo_repository_repo1/__ss_
TAB=__ss_content/__db_10001/__tbl_10010/__part_10011/__idx_10012
tablet()	# LABEL ID -> the folder of that tablet
{
	echo "$SS$1/$TAB/__$2"
}
dat=$(cd "$(tablet snap_missing 10013)" && ls | grep '\.dat\.' | head -n 1)
rm "$(tablet snap_missing 10013)/$dat"
echo extra >"$(tablet snap_extra 10014)/stray.dat.0123456789abcdef0123456789abcdef"
rm -r "$(tablet snap_notablet 10014)"
rm "$SS"snap_nometa/__meta.*
# A 3.0 __meta whose JSON is cut short, under its right md5.
rm "$SS"snap_badmeta/__meta.*
printf '\000\000\000\005{"tbl' >"$W/meta"
mv "$W/meta" "$SS"snap_badmeta/__meta.$(md5sum <"$W/meta" | cut -c 1-32)
# tablets_order names a tablet that "tablets" does not.
info=$(ls "$SS"snap_order/__info_*)
python3 - "$info" <<'PY' || fail "cannot rewrite the info of snap_order"
import hashlib, json, os, sys
path = sys.argv[1]
j = json.load(open(path, encoding="utf-8"))
ix = j["backup_objects"]["orders"]["partitions"]["p202401"]["indexes"]["orders"]
ix["tablets_order"].append(99999)
data = json.dumps(j, separators=(",", ":")).encode()
os.unlink(path)
base = path[:path.rindex(".")]
open(base + "." + hashlib.md5(data).hexdigest(), "wb").write(data)
PY

mount_fs "$LOC"

verify()	# LINE -> the job's id, once it ends FINISHED
{
	echo "$1" >"$MNT/ctl/verify" || fail "verify '$1' refused: $(cat "$MNT/ctl/last_error")"
	_id=$(ls "$MNT/jobs" | sort -n | tail -n 1)
	assert_eq "$(job_end "$_id")" FINISHED "verify '$1'"
	echo "$_id"
}
report_has()	# ID PATTERN WHAT
{
	grep -q -- "$2" "$MNT/jobs/$1/report.txt" ||
	    fail "$3: the report says: $(cat "$MNT/jobs/$1/report.txt")"
}

id=$(verify snap_clean)
assert_eq "$(cat "$MNT/jobs/$id/report.txt")" OK "report of a clean snapshot"
grep -q '^Type: VERIFY$' "$MNT/jobs/$id/job.txt" || fail "job.txt type"
grep -q '^Problems: 0$' "$MNT/jobs/$id/job.txt" || fail "job.txt problems"
files=$(find "$SS"snap_clean/__ss_content -type f | wc -l)
bytes=$(find "$SS"snap_clean/__ss_content -type f -printf '%s\n' |
    awk '{ s += $1 } END { print s }')
grep -q "^Progress: $files/$files files, $bytes/$bytes bytes$" \
    "$MNT/jobs/$id/job.txt" || fail "progress: $(grep Progress "$MNT/jobs/$id/job.txt")"
grep -q "^snap_clean	2024-03-01-16-00-00	OK	OK (job $id)\$" \
    "$MNT/repo1/snapshots.tsv" ||
    fail "snapshots.tsv: $(cat "$MNT/repo1/snapshots.tsv")"

id=$(verify snap_flip)
assert_eq "$(cat "$MNT/jobs/$id/report.txt")" OK "snap_flip before damage"
id=$(verify 'repo1.snap_flip2 @2024-03-01-16-00-00')
report_has "$id" '/__10013/[0-9a-f]*_0\.dat\.[0-9a-f]*: md5 mismatch' "flipped byte"
assert_eq "$(wc -l <"$MNT/jobs/$id/report.txt")" 1 "problems of snap_flip2"
grep -q "^snap_flip2	.*	OK	1 problem (job $id)\$" "$MNT/repo1/snapshots.tsv" ||
    fail "snapshots.tsv: $(cat "$MNT/repo1/snapshots.tsv")"

# LABEL|what the report says|what is planted|how many problems, if checked
while IFS='|' read -r label pattern what problems <&3; do
	id=$(verify "$label")
	report_has "$id" "$pattern" "$what"
	[ -z "$problems" ] || assert_eq "$(wc -l <"$MNT/jobs/$id/report.txt")" \
	    "$problems" "problems of $label"
done 3<<EOF
snap_missing|__10013/$dat: missing|missing file|
snap_extra|__10014/stray.dat.0123456789abcdef0123456789abcdef: not in the info|extra file|
snap_notablet|tablet 10014 missing|missing tablet|
snap_badhdr2|__10013/10013.hdr.[0-9a-f]*: bad tablet header: .*adler32|bad header|1
snap_nometa|^__meta: missing|no __meta|
snap_badmeta|^__meta\\.[0-9a-f]*: does not parse: its JSON|bad __meta|
snap_order|tablets_order lists 3 tablets, tablets 2|tablets_order|
EOF

# A snapshot without an info has a row: it is verified by what is there.
id=$(verify snap_noinfo)
report_has "$id" "^no info file: nothing to check the content against" \
    "no info file"

# Refused: no such snapshot, a bad timestamp; the mount goes on.
ctl_refused verify snap_nosuch "not found in repository repo1"
ctl_refused verify 'snap_clean @2024-03-01-16-00-01' "has no info file at"
ctl_refused verify 'snap_clean @yesterday' "timestamp"
ctl_refused verify 'other.snap_clean' "unknown repository other"
ctl_refused backup snap_x "no data root"
ls "$MNT/repo1/snap_clean" >/dev/null || fail "the mount is gone"

# A job's thread is joined once it has ended: 30 more jobs leave the
# daemon's mappings as they were (a thread not joined keeps its stack and
# guard page mapped, two mappings a job).
maps() { wc -l <"/proc/$SNAPFS_PID/maps"; }
verify snap_clean >/dev/null
m0=$(maps)
k=0
while [ $k -lt 30 ]; do
	verify snap_clean >/dev/null
	k=$((k + 1))
done
m1=$(maps)
[ "$m1" -lt $((m0 + 20)) ] ||
    fail "mappings $m0 -> $m1 after 30 jobs: their threads were not joined"

umount_fs
