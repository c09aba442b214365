#!/bin/sh
# hostile.sh - hostile repositories (mkrepo.py --hostile, one kind per
# snapshot): names with '/', '.', '..' or over 255 bytes are not shown and
# logged, the rest of the snapshot is; a name with a control character or
# a NUL, an id of 2^63, a time of 1e400, 100,000 nested '[', a 20 MiB
# string and 10 million claimed tablets make the info fail when its
# snapshot is opened: snapshot.txt and the row's Verified column give the
# reason (the Status column, from names alone, is OK); duplicate names
# show the first one; two info files with one timestamp are both ERROR
# rows; a label with a control character is refused.  Nothing leads out of the mount, and the daemon's peak RSS
# stays under 512 MiB.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
REPO=$LOC/__palo_repository_repo1
kinds="slash dotdot dot long ctlchar nul dupname duppart dupts bigint
	negint float deep hugestr manyorder"
mkrepo "$LOC" --label ok
for k in $kinds; do
	mkrepo "$LOC" --label "h_$k" --hostile "$k"
done
# A label no Doris writes: a newline in it.
bad="$REPO/__ss_bad
label"
mkdir "$bad"
cp "$(info_file "$LOC" repo1 ok)" "$bad/"
mount_fs "$LOC"

tab=$(printf '\t')
ts=2024-03-01-16-00-00
# What opening each snapshot with a broken info finds.
while IFS='|' read -r k reason <&3; do
	assert_list "h_$k" ls "$MNT/repo1/h_$k" <<'END'
snapshot.txt
END
	grep -q -x -F "Status: Failed to get info: info JSON: $reason" \
	    "$MNT/repo1/h_$k/snapshot.txt" ||
	    fail "h_$k/snapshot.txt: $(cat "$MNT/repo1/h_$k/snapshot.txt")"
done 3<<'EOF'
bigint|backup_objects.orders.id: offset 126: integer out of range
ctlchar|backup_objects.ord?ers: name contains a control character
deep|offset 2625: nested deeper than 64
float|backup_time: offset 62: expected an integer, not a fraction
hugestr|offset 31: string longer than 16777216 bytes
manyorder|backup_objects.orders.partitions.p202401.indexes.orders.tablets_order: more than 10000000 tablets
nul|backup_objects.ord: name contains a NUL character
EOF
E="${tab}$ts${tab}OK${tab}Failed to get info: info JSON:"
assert_list "snapshots.tsv" cat "$MNT/repo1/snapshots.tsv" <<END
Snapshot${tab}Timestamp${tab}Status${tab}Verified
h_bigint$E backup_objects.orders.id: offset 126: integer out of range
h_ctlchar$E backup_objects.ord?ers: name contains a control character
h_deep$E offset 2625: nested deeper than 64
h_dot${tab}$ts${tab}OK${tab}\N
h_dotdot${tab}$ts${tab}OK${tab}\N
h_dupname${tab}$ts${tab}OK${tab}\N
h_duppart${tab}$ts${tab}OK${tab}\N
h_dupts${tab}$ts${tab}ERROR: more than one info file with this timestamp${tab}\N
h_dupts${tab}$ts${tab}ERROR: more than one info file with this timestamp${tab}\N
h_float$E backup_time: offset 62: expected an integer, not a fraction
h_hugestr$E offset 31: string longer than 16777216 bytes
h_long${tab}$ts${tab}OK${tab}\N
h_manyorder$E backup_objects.orders.partitions.p202401.indexes.orders.tablets_order: more than 10000000 tablets
h_negint${tab}$ts${tab}OK${tab}\N
h_nul$E backup_objects.ord: name contains a NUL character
h_slash${tab}$ts${tab}OK${tab}\N
ok${tab}$ts${tab}OK${tab}\N
END

assert_list "repository folder" ls "$MNT/repo1" <<'END'
h_bigint
h_ctlchar
h_deep
h_dot
h_dotdot
h_dupname
h_duppart
h_float
h_hugestr
h_long
h_manyorder
h_negint
h_nul
h_slash
ok
repo_info.json
snapshots.tsv
END

# The bad name is left out, the rest of the snapshot is there.
for k in slash dot dotdot long; do
	assert_list "h_$k" ls "$MNT/repo1/h_$k" <<'END'
details.json
info.json
snapshot.txt
users
END
	assert_list "h_$k/users" ls "$MNT/repo1/h_$k/users" <<'END'
users
END
done
for n in '"ord/ers"' '"."' '".."' "\"$(printf '%064d' 0 | tr 0 o)...\""; do
	grep -q -F "refusing a name that is no file name: $n" "$W/log" ||
	    fail "no log line refusing $n"
done
grep -q -F 'refusing a label with a control character: "bad\x0alabel"' \
    "$W/log" || fail "no log line refusing the label with a newline"

# Duplicate names: the first one in the info is shown, once.
assert_list "h_dupname" ls "$MNT/repo1/h_dupname/orders" <<'END'
p202401
p202402
END
assert_list "h_duppart" ls "$MNT/repo1/h_duppart/orders" <<'END'
p202401
END
grep -q -x 'Version: -1' "$MNT/repo1/h_negint/orders/p202401/partition.txt" ||
    fail "h_negint: no 'Version: -1'"

# Nothing leads out of the mount: every path found stays below it, and
# the whole tree is walked in finite steps.
find "$MNT" >"$W/find.txt" 2>"$W/find.err" ||
    fail "find failed: $(head -n 3 "$W/find.err")"
n=$(wc -l <"$W/find.txt")
[ "$n" -lt 1000 ] || fail "find found $n entries"
while read -r p; do
	case $(realpath -m "$p") in
	"$MNT"|"$MNT"/*) ;;
	*) fail "$p resolves out of the mount" ;;
	esac
done <"$W/find.txt"
grep -q '/\.\.\?$\|/\.\./' "$W/find.txt" && fail "a '.' or '..' entry: $(grep '/\.\.\?$' "$W/find.txt")"

rss=$(daemon_rss_peak_kib)
note "peak RSS $rss KiB"
if [ -n "${SNAPFS_WRAPPER:-}" ] || ldd "$SNAPFS" 2>/dev/null | grep -q libasan
then
	note "under a wrapper or ASan: peak RSS not checked"
else
	[ "$rss" -lt $((512 * 1024)) ] || fail "peak RSS $rss KiB"
fi
umount_fs
