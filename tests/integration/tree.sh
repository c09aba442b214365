#!/bin/sh
# tree.sh - the mounted tree of SPEC.md's example (the repository of
# doris-format.md 2.3 plus a rollup): top level, repository folder,
# snapshots.tsv, snapshot.txt, details.json, info.json, table/partition/
# tablet folders and tablet files named without their md5 suffix.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --repo repo1 --label snap_20240301
mkrepo "$LOC" --repo repo1 --label snap_broken --broken noinfo
REPO=$LOC/__palo_repository_repo1
INFO=$(info_file "$LOC" repo1 snap_20240301)
mount_fs "$LOC"
S=$MNT/repo1/snap_20240301

# Top level: exactly .raw, repo1, stats.json (SPEC also lists ctl and jobs,
# which come later: they are tolerated, nothing else is).
ls -A "$MNT" >"$W/top.txt" || fail "ls -A of the mount failed"
grep -v -x -e ctl -e jobs "$W/top.txt" >"$W/top2.txt" || :
assert_text "$W/top2.txt" "top level (ls -A)" <<'END'
.raw
repo1
stats.json
END

assert_list "repository folder" ls "$MNT/repo1" <<'END'
repo_info.json
snap_20240301
snapshots.tsv
END

printf 'Snapshot\tTimestamp\tStatus\tVerified\nsnap_20240301\t2024-03-01-16-00-00\tOK\t\\N\nsnap_broken\t\\N\tERROR: No info file found\t\\N\n' \
    >"$W/tsv.txt"
assert_text "$MNT/repo1/snapshots.tsv" "snapshots.tsv" <"$W/tsv.txt"

cmp "$MNT/repo1/repo_info.json" "$REPO/__repo_info" ||
    fail "repo_info.json differs from __repo_info"

assert_list "snapshot folder" ls "$S" <<'END'
details.json
info.json
orders
snapshot.txt
users
END

assert_text "$S/snapshot.txt" "snapshot.txt" <<'END'
Snapshot: snap_20240301
Timestamp: 2024-03-01-16-00-00
Database: sales
Status: OK
Global: none
END

cmp "$S/info.json" "$INFO" || fail "info.json differs from $INFO"

assert_list "table orders" ls "$S/orders" <<'END'
p202401
p202402
END
assert_list "partition orders/p202401" ls "$S/orders/p202401" <<'END'
10013
10014
partition.txt
END
# users is unpartitioned (one partition named like the table) and has a
# rollup: the rollup's tablet is in the same partition folder.
assert_list "table users" ls "$S/users" <<'END'
users
END
assert_list "partition users/users" ls "$S/users/users" <<'END'
10033
10035
partition.txt
END

# A tablet folder holds the tablet's objects without the .<md5> suffix,
# and tablet.txt.
{ ls "$REPO/__ss_snap_20240301/__ss_content/__db_10001/__tbl_10010/__part_10011/__idx_10012/__10013" |
    sed 's/\.[0-9a-f]\{32\}$//'; echo tablet.txt; } >"$W/t10013.txt"
[ "$(wc -l <"$W/t10013.txt")" -eq 4 ] || fail "generator: tablet 10013"
assert_list "tablet 10013" ls "$S/orders/p202401/10013" <"$W/t10013.txt"

# The whole snapshot folder, from its info file.
expect_tree "$INFO" >"$W/expect.txt"
tree_of "$S" >"$W/tree.txt" || fail "find of the snapshot failed"
assert_text "$W/tree.txt" "snapshot tree" <"$W/expect.txt"

# Every tablet file reads as its object.
expect_files "$INFO" >"$W/files.txt"
tab=$(printf '\t')
n=0
while IFS=$tab read -r path key; do
	cmp "$S/$path" "$REPO/__ss_snap_20240301/$key" ||
	    fail "$path differs from its object $key"
	n=$((n + 1))
done <"$W/files.txt"
[ "$n" -eq 14 ] || fail "expected 14 tablet files, checked $n"

# details.json: SHOW SNAPSHOT's Details column for this info.
python3 - "$S/details.json" "$INFO" <<'END' || fail "details.json is wrong"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
i = json.load(open(sys.argv[2], encoding="utf-8"))
def check(ok, what):
    if not ok:
        sys.exit("details.json: %s: %r" % (what, d))
check(d.get("name") == "snap_20240301", "name")
check(d.get("database") == "sales", "database")
check(d.get("backup_time") == 1709280000000, "backup_time")
check(d.get("content") == "ALL", "content")
tl = d.get("olap_table_list")
check(isinstance(tl, list), "olap_table_list")
got = {t["name"]: sorted(t["partition_names"]) for t in tl}
want = {n: sorted(t["partitions"]) for n, t in i["backup_objects"].items()}
check(got == want, "olap_table_list tables/partitions")
check(len(tl) == len(got), "duplicate tables")
check({"id": 10040, "name": "v_orders_daily"} in d.get("view_list", []),
      "view_list")
END

# partition.txt: id, version, and each index's name, id, schema_hash and
# tablet ids in tablets_order.
python3 - "$S/orders/p202401/partition.txt" "$S/users/users/partition.txt" \
    "$INFO" <<'END' || fail "partition.txt is wrong"
import json, re, sys
info = json.load(open(sys.argv[3], encoding="utf-8"))
for path, (t, p) in zip(sys.argv[1:3], [("orders", "p202401"),
                                        ("users", "users")]):
    text = open(path, encoding="utf-8").read()
    words = re.findall(r"[^\s:,=\[\]{}()\"']+", text)
    part = info["backup_objects"][t]["partitions"][p]
    need = [str(part["id"]), str(part["version"])]
    for name, ix in part["indexes"].items():
        need += [name, str(ix["id"]), str(ix["schema_hash"])]
        order = [str(x) for x in ix["tablets_order"]]
        need += order
        pos = [words.index(x) for x in order if x in words]
        if pos != sorted(pos):
            sys.exit("%s: tablets of %s not in tablets_order" % (path, name))
    missing = [w for w in need if w not in words]
    if missing:
        sys.exit("%s lacks %s:\n%s" % (path, missing, text))
END

umount_fs
