#!/bin/sh
# scale.sh - one snapshot of 300,000 tablets x 3 files (Doris's
# max_backup_tablets_per_job): it mounts, ls and find see every entry, and
# the daemon's peak RSS stays below 3 x the info JSON + 50 MiB.  Times are
# printed, not asserted.
#
# Where the 1.2 million objects go: SNAPFS_SCALE_DIR if set, else /dev/shm
# when it has 6 GiB free, else $W.  On this project's machines (ext4 with
# discard) writing them took 66-235 s and removing them 2-7 minutes; on
# tmpfs 25 s and 10 s.  The daemon reads them through the same local
# broker either way, and its RSS does not include the tmpfs pages.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog find wc awk seq stat

TABLETS=300000
FILES=3
BUCKETS=100
PARTS=$((TABLETS / BUCKETS))

scale_base=${SNAPFS_SCALE_DIR:-}
if [ -z "$scale_base" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt 6291456 ]; then
	scale_base=/dev/shm
fi
if [ -n "$scale_base" ]; then
	GEN=$(mktemp -d "$scale_base/snapfs-scale.XXXXXX") ||
	    fail "cannot create a folder in $scale_base"
	EXTRA_CLEANUP=$GEN
else
	GEN=$W
fi
LOC=$GEN/loc

t0=$(now)
mkrepo "$LOC" --label snap_scale --tablets "$TABLETS" \
    --files-per-tablet "$FILES" --file-size 16 --buckets "$BUCKETS"
t_gen=$(elapsed "$t0")
INFO=$(info_file "$LOC" repo1 snap_scale)
info_bytes=$(stat -c %s "$INFO")
note "generated $TABLETS tablets x $FILES files in $GEN in $t_gen s"

mount_fs "$LOC"
S=$MNT/repo1/snap_scale

t0=$(now)
ls "$S" >"$W/ls.txt" || fail "ls of the snapshot failed"
t_ls=$(elapsed "$t0")
assert_text "$W/ls.txt" "snapshot folder" <<'END'
details.json
info.json
lineitem
snapshot.txt
END

# Partition p001234: ids as mkrepo.py allocates them (partition id
# 10011 + 110 i, its tablets from partition id + 2).
pid=$((10011 + 110 * 1234))
t0=$(now)
ls "$S/lineitem/p001234" >"$W/lsp.txt" || fail "ls of a partition failed"
t_lsp=$(elapsed "$t0")
{ seq $((pid + 2)) $((pid + 1 + BUCKETS)); echo partition.txt; } |
    sort >"$W/lsp-expected.txt"
assert_text "$W/lsp.txt" "partition p001234" <"$W/lsp-expected.txt"
f=$(ls "$LOC"/__palo_repository_repo1/__ss_snap_scale/__ss_content/__db_10001/__tbl_10010/__part_$pid/__idx_10012/__$((pid + 2))/*.hdr.*)
cmp "$S/lineitem/p001234/$((pid + 2))/$((pid + 2)).hdr" "$f" ||
    fail "a tablet header differs from its object"

t0=$(now)
count=$(find "$S" | wc -l)
t_find=$(elapsed "$t0")
# the folder, details/info/snapshot, lineitem, each partition with its
# partition.txt, each tablet with its files and tablet.txt
expected=$((1 + 3 + 1 + 2 * PARTS + TABLETS * (2 + FILES)))
assert_eq "$count" "$expected" "entries found in the snapshot"

rss_kib=$(daemon_rss_peak_kib)
[ -n "$rss_kib" ] || fail "cannot read the daemon's VmHWM"
limit_kib=$((3 * info_bytes / 1024 + 50 * 1024))
note "$(awk -v i="$info_bytes" -v l="$t_ls" -v lp="$t_lsp" -v f="$t_find" \
    -v r="$rss_kib" -v g="$t_gen" 'BEGIN {
	printf "info %.1f MiB, ls %s s, ls partition %s s, find %s s, " \
	    "peak RSS %.1f MiB (generation %s s)", i / 1048576, l, lp, f, \
	    r / 1024, g }')"
# ASan's redzones and quarantine double the heap: the bound is for the
# real daemon (tests/run.sh runs this test in both builds).
if ldd "$SNAPFS" 2>/dev/null | grep -q libasan; then
	note "built with ASan: peak RSS not checked"
else
	[ "$rss_kib" -lt "$limit_kib" ] ||
	    fail "peak RSS $rss_kib KiB >= 3 x info ($info_bytes bytes) + 50 MiB = $limit_kib KiB"
fi

umount_fs
