#!/bin/sh
# meta.sh - -o meta_memory= bounds the loaded snapshot trees: a walk of
# 60 snapshots of 5,000 tablets under meta_memory=16M evicts the least
# recently used trees (trees_evicted, meta_bytes in stats.json), the
# daemon's RSS stays near the budget, a snapshot walked again gives every
# path the inode number it had, and a file held open while its tree is
# evicted reads on; snapshot folders under .raw are evicted alike.  The
# texts of tablet.txt files take at most an eighth of the budget
# (text_bytes, texts_evicted): one dropped is made again, the same.  Under
# ASan or valgrind, which inflate memory and time, 8 snapshots of 1,000
# tablets under meta_memory=1M and no RSS check.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog find wc awk stat dd cp

if [ -n "${SNAPFS_WRAPPER:-}" ] || [ "$BACKEND" != local ] ||
    ldd "$SNAPFS" 2>/dev/null | grep -q libasan; then
	SNAPS=8 TABLETS=1000 BUDGET=1M BUDGET_KIB=1024 RSS=
else
	SNAPS=60 TABLETS=5000 BUDGET=16M BUDGET_KIB=16384 RSS=yes
fi

# The snapshots: one generated, the others hard links to it under their
# own label (snapfs takes the label from the folder's name), in /dev/shm
# when it has room.
base=$W
[ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt 2097152 ] &&
    base=$(mktemp -d /dev/shm/snapfs-meta.XXXXXX) && EXTRA_CLEANUP=$base
LOC=$base/loc
R=$LOC/__palo_repository_repo1
mkrepo "$LOC" --label snap_0 --tablets "$TABLETS" --files-per-tablet 1 \
    --file-size 16 --buckets 100
k=1
while [ $k -lt $SNAPS ]; do
	cp -al "$R/__ss_snap_0" "$R/__ss_snap_$k" || fail "cp -al failed"
	k=$((k + 1))
done

"$SNAPFS" "$LOC" "$MNT" -o meta_memory=12x >"$W/bad.txt" 2>&1 &&
    fail "meta_memory=12x was taken"
assert_text "$W/bad.txt" "a bad meta_memory=" <<'END'
snapfs: meta_memory=12x: not 0 or a size of 1M or more
END

stat_of() { grep -o "\"$1\": [0-9]*" "$MNT/stats.json" | awk '{ print $2 }'; }

mount_fs "$LOC" -o meta_memory=$BUDGET
S0=$MNT/repo1/snap_0
per=$(find "$S0" | wc -l)
rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SNAPFS_PID/status")
find "$S0" -path '*/lineitem/*' | sort | head -n 20 >"$W/paths.txt"
xargs stat -c '%i %n' <"$W/paths.txt" >"$W/inos-before.txt"
F=$(find "$S0" -name '*.hdr' | sort | head -n 1)
[ -n "$F" ] || fail "no data file in snap_0"
exec 3<"$F"
dd bs=4 count=1 <&3 >"$W/held.bin" 2>/dev/null

t0=$(now)
n=$(find "$MNT"/repo1/snap_* | wc -l)
t_walk=$(elapsed "$t0")
assert_eq "$n" "$((SNAPS * per))" "entries found in $SNAPS snapshots"
evicted=$(stat_of trees_evicted)
[ "$evicted" -ge $((SNAPS / 2)) ] ||
    fail "$evicted trees evicted of $SNAPS walked under $BUDGET"
meta=$(stat_of meta_bytes)
[ "$meta" -le $((BUDGET_KIB * 1024)) ] ||
    fail "meta_bytes $meta over the budget $BUDGET"

# The held file reads on, then snap_0 shows the same inode numbers.
cat <&3 >>"$W/held.bin" || fail "the held file failed after eviction"
exec 3<&-
cmp "$W/held.bin" "$F" || fail "the held file read other bytes"
xargs stat -c '%i %n' <"$W/paths.txt" >"$W/inos-after.txt"
cmp "$W/inos-before.txt" "$W/inos-after.txt" ||
    fail "inode numbers changed: $(diff "$W/inos-before.txt" \
    "$W/inos-after.txt" | head -n 4)"

if [ -n "$RSS" ]; then
	# What the kernel forgets after the eviction is freed meanwhile.
	sleep 1
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SNAPFS_PID/status")
	note "$SNAPS snapshots of $per entries in $t_walk s, RSS" \
	    "$((rss1 / 1024)) MiB after one, $((rss / 1024)) MiB after" \
	    "all, meta_bytes $((meta / 1048576)) MiB, $evicted evicted"
	[ "$rss" -le $((rss1 + 2 * BUDGET_KIB)) ] ||
	    fail "RSS $rss KiB after the walk > $rss1 KiB after one" \
	    "snapshot + 2 x the budget"
fi

# The snapshot folders under .raw are evicted alike: half of them walked.
ev0=$(stat_of trees_evicted)
ls -d "$MNT/.raw/$(basename "$R")"/__ss_snap_* | head -n $((SNAPS / 2)) |
    xargs -I{} find {} | wc -l >/dev/null
evicted=$(($(stat_of trees_evicted) - ev0))
[ "$evicted" -ge $((SNAPS / 4)) ] ||
    fail "$evicted .raw trees evicted of $((SNAPS / 2)) walked under $BUDGET"
meta=$(stat_of meta_bytes)
[ "$meta" -le $((BUDGET_KIB * 1024)) ] ||
    fail "meta_bytes $meta over the budget $BUDGET after the .raw walk"

# Three snapshots' tablet texts do not fit an eighth of the budget.  The
# first one made is dropped, then made again (read for the first time,
# so from the daemon, not the page cache): the same as its twin's.
T=$(cd "$S0" && find . -name tablet.txt | sort | head -n 1)
size=$(stat -c %s "$S0/$T")
find "$S0" "$MNT/repo1/snap_1" "$MNT/repo1/snap_2" -name tablet.txt -exec stat -c %s {} + \
    >/dev/null || fail "stat of tablet.txt failed"
texts=$(stat_of texts_evicted)
[ "$texts" -gt 0 ] || fail "no tablet text dropped under $BUDGET"
bytes=$(stat_of text_bytes)
[ "$bytes" -gt 0 ] && [ "$bytes" -le $((BUDGET_KIB * 1024 / 8)) ] ||
    fail "text_bytes $bytes, not within an eighth of $BUDGET"
cat "$S0/$T" >"$W/text0.txt" || fail "$T failed after it was dropped"
assert_eq "$(wc -c <"$W/text0.txt")" "$size" "size of $T made again"
grep -q '^Tablet: ' "$W/text0.txt" || fail "$T: $(head -n 1 "$W/text0.txt")"
cat "$MNT/repo1/snap_1/$T" | cmp -s - "$W/text0.txt" ||
    fail "$T made again differs from its twin in snap_1"
note "tablet texts: $((bytes / 1024)) KiB kept, $texts dropped"
umount_fs
