#!/bin/sh
# eras.sh - info JSON of every writer era (0.13 org.json with string
# tablets_order and shuffled keys, 0.14 plain Gson, 2.1, 3.0) and a
# StarRocks root (__starrocks_repository_, millisecond timestamp): each
# repository mounts and shows the same tables, partitions, tablets and
# files; non-ASCII names (raw UTF-8 and \uXXXX escapes, a surrogate pair)
# become folder names.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
for era in 0.13 0.14 2.1 3.0; do
	mkrepo "$LOC" --era "$era" --repo "era$(echo "$era" | tr -d .)" \
	    --label snap_20240301 --unicode
done
mkrepo "$LOC" --root-prefix starrocks --era 2.1 --repo sr --label sr_snap \
    --timestamp 2024-07-23-13-01-12-789 --unicode
mount_fs "$LOC"

ls "$MNT" >"$W/top.txt" || fail "ls of the mount failed"
grep -v -x -e ctl -e jobs "$W/top.txt" >"$W/top2.txt" || :
assert_text "$W/top2.txt" "top level" <<'END'
era013
era014
era21
era30
sr
stats.json
END

tab=$(printf '\t')
ref=
for repo in era013 era014 era21 era30 sr; do
	label=snap_20240301
	ts=2024-03-01-16-00-00
	if [ "$repo" = sr ]; then
		label=sr_snap
		ts=2024-07-23-13-01-12-789
	fi
	info=$(info_file "$LOC" "$repo" "$label")
	S=$MNT/$repo/$label

	printf 'repo_info.json\n%s\nsnapshots.tsv\n' "$label" | sort >"$W/ls.txt"
	assert_list "$repo: repository folder" ls "$MNT/$repo" <"$W/ls.txt"
	printf 'Snapshot\tTimestamp\tStatus\tVerified\n%s\t%s\tOK\t\\N\n' \
	    "$label" "$ts" \
	    >"$W/tsv.txt"
	assert_text "$MNT/$repo/snapshots.tsv" "$repo: snapshots.tsv" \
	    <"$W/tsv.txt"
	printf 'Snapshot: %s\nTimestamp: %s\nDatabase: sales\nStatus: OK\n%s\n' \
	    "$label" "$ts" "Global: none" >"$W/txt.txt"
	assert_text "$S/snapshot.txt" "$repo: snapshot.txt" <"$W/txt.txt"
	cmp "$S/info.json" "$info" || fail "$repo: info.json differs"
	cmp "$MNT/$repo/repo_info.json" "$(dirname "$(dirname "$info")")/__repo_info" ||
	    fail "$repo: repo_info.json differs"

	assert_list "$repo: snapshot folder" ls "$S" <<'END'
details.json
info.json
orders
snapshot.txt
users
订单
END
	assert_list "$repo: unicode table" ls "$S/订单" <<'END'
p_été𠀀
p一月
END
	assert_list "$repo: unicode partition" ls "$S/订单/p_été𠀀" <<'END'
10053
10054
partition.txt
END

	expect_tree "$info" >"$W/expect.txt"
	tree_of "$S" >"$W/tree-$repo.txt" || fail "$repo: find failed"
	assert_text "$W/tree-$repo.txt" "$repo: snapshot tree" <"$W/expect.txt"
	# Every era lists the same tables, partitions, tablets and files.
	if [ -z "$ref" ]; then
		ref=$W/tree-$repo.txt
	else
		cmp -s "$ref" "$W/tree-$repo.txt" ||
		    fail "$repo: tree differs from $(basename "$ref")"
	fi

	expect_files "$info" >"$W/files.txt"
	n=0
	while IFS=$tab read -r path key; do
		cmp "$S/$path" "$(dirname "$info")/$key" ||
		    fail "$repo: $path differs from $key"
		n=$((n + 1))
	done <"$W/files.txt"
	[ "$n" -eq 24 ] || fail "$repo: expected 24 tablet files, read $n"

	python3 - "$S/details.json" "$info" <<'END' ||
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
i = json.load(open(sys.argv[2], encoding="utf-8"))
got = {t["name"]: sorted(t["partition_names"]) for t in d["olap_table_list"]}
want = {n: sorted(t["partitions"]) for n, t in i["backup_objects"].items()}
if d["name"] != i["name"] or d["database"] != "sales" or got != want or \
        d["backup_time"] != i["backup_time"]:
    sys.exit("details.json %r does not match the info" % d)
END
	    fail "$repo: details.json is wrong"
done

umount_fs
