#!/bin/sh
# backup.sh - backup jobs through ctl/backup: the job runs to FINISHED,
# the snapshot appears in the mounted tree without a remount and holds the
# data root's bytes, the uploaded objects follow the Doris layout (every
# file named <name>.<md5 of it>, __meta and __info_<ts> with their md5, no
# .part left); ON (... PARTITION ...) backs up only what it names; refused
# lines fail the write with their reason in ctl/last_error; a cancelled
# backup ends CANCELLED and never shows as OK.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog md5sum

DATA=$W/data
LOC=$W/loc
mkdir -p "$LOC"
for t in 1001 1002; do
	data_file "$DATA" sales orders p202401 $t "$t.hdr" 200
	data_file "$DATA" sales orders p202401 $t "02000000000000${t}b0_0.dat" 300000
	data_file "$DATA" sales orders p202402 $((t + 10)) "$((t + 10)).hdr" 100
done
data_file "$DATA" sales users users 2001 2001.hdr 50
data_file "$DATA" sales users users 2001 0200000000000002001_0.dat 7000000

mount_fs "$LOC" -o data="$DATA"

ls "$MNT" | grep -qx ctl || fail "no ctl folder with a data root"
echo 'sales.snap1 TO repo1' >"$MNT/ctl/backup" || fail "backup refused"
assert_eq "$(ls "$MNT/jobs")" 1 "jobs after one backup"
assert_eq "$(job_end 1)" FINISHED "state of job 1"
grep -q '^Progress: 8/8 files' "$MNT/jobs/1/job.txt" ||
    fail "job.txt: $(cat "$MNT/jobs/1/job.txt")"
grep -q '^SnapshotName: snap1$' "$MNT/jobs/1/job.txt" || fail "job.txt name"

# The new repository and snapshot, without a remount.
ls "$MNT/repo1" | grep -qx snap1 || fail "snap1 not in repo1: $(ls "$MNT")"
grep -q "^snap1	[0-9-]*	OK	" "$MNT/repo1/snapshots.tsv" ||
    fail "snapshots.tsv: $(cat "$MNT/repo1/snapshots.tsv")"
S=$MNT/repo1/snap1
for f in $(cd "$DATA/sales" && find . -type f); do
	cmp "$DATA/sales/$f" "$S/$f" || fail "$f differs in the snapshot"
done
grep -q '"name": "snap1"' "$S/details.json" || fail "details.json"
grep -q '^Database: sales$' "$S/snapshot.txt" || fail "snapshot.txt"

# The objects, as Doris lays them out.
R=$MNT/.raw/__palo_repository_repo1
[ -f "$R/__repo_info" ] || fail "no __repo_info"
ls "$R/__ss_snap1" | grep -q '^__meta\.[0-9a-f]\{32\}$' || fail "no __meta"
ls "$R/__ss_snap1" | grep -q '^__info_[0-9-]*\.[0-9a-f]\{32\}$' ||
    fail "no __info"
n=0
for f in $(cd "$R/__ss_snap1" && find . -type f); do
	sum=$(md5sum <"$R/__ss_snap1/$f" | cut -c 1-32)
	case $f in
	*.$sum)	n=$((n + 1)) ;;
	*)	fail "$f is not named by its md5 $sum" ;;
	esac
	case $f in
	./__ss_content/__db_*/__tbl_*/__part_*/__idx_*/__[0-9]*/*|./__meta.*|./__info_*)
		;;
	*)	fail "unexpected object $f" ;;
	esac
done
assert_eq "$n" 10 "objects of snap1 (8 files, __meta, __info)"
[ -z "$(cd "$R" && find . -name '*.part')" ] || fail "a .part was left"

# The rules of doris-format.md section 9: every key a 3.0 writer emits,
# ids consistent with the paths, each tablet folder holding exactly the
# files its info lists, tablets_order listing every tablet.
python3 - "$R/__ss_snap1" <<'PY' || fail "snap1 breaks a rule of a Doris snapshot"
import glob, json, os, sys
snap = sys.argv[1]
(info_path,) = glob.glob(os.path.join(snap, "__info_*"))
(meta_path,) = glob.glob(os.path.join(snap, "__meta.*"))
info = json.load(open(info_path))
for key in ("name", "database", "id", "backup_time", "content",
            "backup_objects", "new_backup_objects", "backup_result",
            "meta_version", "tablet_be_map", "tablet_snapshot_path_map",
            "table_commit_seq_map", "tblalias"):
    assert key in info, key
assert info["name"] == "snap1" and info["backup_result"] == "succeed"
assert info["meta_version"] >= 136
meta = open(meta_path, "rb").read()
assert int.from_bytes(meta[:4], "big") == len(meta) - 4
json.loads(meta[4:])
content = os.path.join(snap, "__ss_content", "__db_%d" % info["id"])
seen = set()
for tname, t in info["backup_objects"].items():
    for pname, p in t["partitions"].items():
        for iname, x in p["indexes"].items():
            assert sorted(x["tablets_order"]) == sorted(int(k) for k in x["tablets"])
            for tablet, files in x["tablets"].items():
                d = os.path.join(content, "__tbl_%d" % t["id"],
                                 "__part_%d" % p["id"], "__idx_%d" % x["id"],
                                 "__" + tablet)
                assert sorted(os.listdir(d)) == sorted(files), d
                assert sum(f.split(".")[0] == tablet and ".hdr." in f
                           for f in files) <= 1
                seen.add(d)
dirs = set(os.path.dirname(f) for f in glob.glob(content + "/*/*/*/*/*"))
assert dirs == seen, dirs ^ seen
PY

# ON (table PARTITION (p)) takes only what it names.
echo 'snap2 ON (orders PARTITION (p202401))' >"$MNT/ctl/backup" ||
    fail "partial backup refused"
assert_eq "$(job_end 2)" FINISHED "state of job 2"
assert_list "snap2" ls "$MNT/repo1/snap2" <<'END'
details.json
info.json
orders
snapshot.txt
END
assert_list "snap2/orders" ls "$MNT/repo1/snap2/orders" <<'END'
p202401
END
grep -q "^snap2	[0-9-]*	OK	" "$MNT/repo1/snapshots.tsv" ||
    fail "snapshots.tsv, read before, lacks snap2: $(cat "$MNT/repo1/snapshots.tsv")"

# Refused lines: the write fails and last_error says why.
ctl_refused backup 'snap1' "already exist"
ctl_refused backup 'snap3 ON (nosuch)' "does not exist"
ctl_refused backup 'snap3 ON (orders PARTITION (p1999))' "does not exist"
ctl_refused backup 'nosuchdb.snap3' "unknown database"
ctl_refused backup 'snap 3 !' ""
ctl_refused backup '' ""

# A big backup, cancelled at once: CANCELLED, never OK.
i=0
while [ $i -lt 2000 ]; do
	data_file "$DATA" sales big p 3000 "f$i.dat" 20000
	i=$((i + 1))
done
echo 'snap_big' >"$MNT/ctl/backup" || fail "big backup refused"
echo 'BACKUP' >"$MNT/ctl/cancel" || fail "cancel refused: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 3)" CANCELLED "state of the cancelled job"
grep -q '^snap_big	.*	OK	' "$MNT/repo1/snapshots.tsv" &&
    fail "a cancelled snapshot shows OK"
ls "$MNT/repo1" | grep -qx snap_big && fail "a cancelled snapshot is a folder"
if echo 'BACKUP' >"$MNT/ctl/cancel" 2>/dev/null; then
	fail "cancel with no job running was accepted"
fi
umount_fs
