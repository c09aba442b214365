#!/bin/sh
# s3/dcache.sh - the disk cache (-o cache_dir=,cache_size=): a file read
# through it equals its object cold, warm (served from disk, few GETs) and
# with blocks damaged on purpose (a damaged block is a miss, never wrong
# bytes), also at random offsets; small files of a walk too; a block of an
# older snapfs is a quiet miss; a damaged object fails on every mount with
# or without the cache; the cache stays under cache_size while filling and
# after a remount with a smaller size, and the marks of objects checked go
# with their blocks; a daemon that forked writes its cache as well.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog cmp md5sum

s3_start
s3_bucket
LOC=$W/loc
REPO=$LOC/__palo_repository_repo1
BIG=41943040
mkrepo "$LOC" --label snap_big --big $BIG --files-per-tablet 6
mkrepo "$LOC" --label snap_bad --broken flipbig
tab=$(printf '\t')
expect_files "$(info_file "$LOC" repo1 snap_big)" >"$W/files.txt"
while IFS=$tab read -r path key; do
	[ "$(stat -c %s "$REPO/__ss_snap_big/$key")" -eq $BIG ] &&
	    big_path=$path big_key=$key
done <"$W/files.txt"
expect_files "$(info_file "$LOC" repo1 snap_bad)" >"$W/bad.txt"
while IFS=$tab read -r path key; do
	sum=$(md5sum <"$REPO/__ss_snap_bad/$key" | cut -c1-32)
	[ "$sum" = "${key##*.}" ] || bad_path=$path
done <"$W/bad.txt"
[ -n "${big_path:-}" ] && [ -n "${bad_path:-}" ] || fail "generator"
s3_publish "$LOC"
C=$W/cache

# cache_bytes: bytes of the block files in the cache.
cache_bytes()
{
	find "$C" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}

# stat_of NAME: a counter of the mounted stats.json.
stat_of()
{
	sed -n "s/.*\"$1\": \\([0-9]*\\).*/\\1/p" "$MNT/stats.json"
}

# random_reads FILE SOURCE: reads at random offsets equal the source.
random_reads()
{
	python3 - "$1" "$2" <<'PY' || fail "random reads of $1 differ"
import os, random, sys
r = random.Random(7)
size = os.path.getsize(sys.argv[2])
with open(sys.argv[1], "rb", buffering=0) as f, open(sys.argv[2], "rb") as g:
    for i in range(100):
        off = r.randrange(0, size)
        n = r.choice([1, 4096, 131072, r.randrange(1, 3000000)])
        f.seek(off)
        g.seek(off)
        a, b = f.read(n), g.read(n)
        if a != b:
            sys.exit("read of %d at %d: %d bytes differ" % (n, off, len(a)))
PY
}

check_bytes()
{
	cmp "$MNT/repo1/snap_big/$big_path" "$REPO/__ss_snap_big/$big_key" ||
	    fail "$1: the big file differs"
	while IFS=$tab read -r path key; do
		cmp "$MNT/repo1/snap_big/$path" "$REPO/__ss_snap_big/$key" ||
		    fail "$1: $path differs"
	done <"$W/files.txt"
	cat "$MNT/repo1/snap_bad/$bad_path" >/dev/null 2>"$W/err" &&
	    fail "$1: cat of the damaged file worked"
	grep -q 'Input/output error' "$W/err" || fail "$1: $(cat "$W/err")"
}

# A cache smaller than the file: it never holds more than its size.  The
# small files read before the big one are evicted, and the marks that
# they passed their md5 check (.ok) with them.
mount_fs "$S3LOC" $S3_OPTS -o cache_dir="$C",cache_size=8M
find "$MNT/repo1/snap_big" -type f -name '*.dat' -size -1000k \
    -exec cat {} + >/dev/null || fail "8M cache: a small file failed"
ls "$C"/*/*.ok >/dev/null 2>&1 || fail "no small file recorded as checked"
cmp "$MNT/repo1/snap_big/$big_path" "$REPO/__ss_snap_big/$big_key" ||
    fail "8M cache: the big file differs"
umount_fs
n=$(cache_bytes)
[ "$n" -le 8388608 ] || fail "8M cache holds $n bytes"
[ "$n" -gt 0 ] || fail "nothing was cached"
for ok in "$C"/*/*.ok; do
	[ -e "$ok" ] || continue	# no mark left at all
	ls "${ok%.ok}".[0-9]* >/dev/null 2>&1 ||
	    fail "$(basename "$ok") stays, its blocks evicted"
done

# Large enough: cold, then warm from disk.
mount_fs "$S3LOC" $S3_OPTS -o cache_dir="$C",cache_size=200M
check_bytes cold
umount_fs
n=$(cache_bytes)
[ "$n" -gt 20971520 ] || fail "only $n bytes cached of the big file"
[ "$n" -le 209715200 ] || fail "200M cache holds $n bytes"
ls "$C"/*/*.ok >/dev/null 2>&1 || fail "no object recorded as checked"

mount_fs "$S3LOC" $S3_OPTS -o cache_dir="$C",cache_size=200M
random_reads "$MNT/repo1/snap_big/$big_path" "$REPO/__ss_snap_big/$big_key"
check_bytes warm
hits=$(stat_of cache_hits)
got=$(stat_of bytes_read)
[ "$hits" -ge 20 ] || fail "warm: $hits cache hits"
[ "$got" -lt $((BIG / 2)) ] || fail "warm: $got bytes fetched from S3"
umount_fs

# A block of an older snapfs (1 MiB blocks, magic snapfsC1) is a quiet
# miss: fetched again and replaced, not reported as damaged.
old=$(find "$C" -type f -name '*.[0-9]*' | sort | head -n 1)
printf snapfsC1 | dd of="$old" conv=notrunc status=none
mount_fs "$S3LOC" $S3_OPTS -o cache_dir="$C",cache_size=200M
check_bytes "older block"
umount_fs
grep -q 'is damaged' "$W/log" && fail "an older block was called damaged"
[ "$(head -c 8 "$old" 2>/dev/null)" != snapfsC1 ] ||
    fail "the older block stayed"

# Damage blocks on purpose: a flipped byte, a truncated block, garbage.
i=0
for f in $(find "$C" -type f -name '*.[0-9]*' | sort | head -n 9); do
	case $((i % 3)) in
	0)	python3 -c 'import sys, os
p = sys.argv[1]; f = open(p, "r+b"); n = os.path.getsize(p)
f.seek(n // 2); b = f.read(1); f.seek(n // 2); f.write(bytes([b[0] ^ 0x40]))' "$f" ;;
	1)	truncate -s 100 "$f" ;;
	2)	head -c 2000 /dev/urandom >"$f" ;;
	esac
	i=$((i + 1))
done
mount_fs "$S3LOC" $S3_OPTS -o cache_dir="$C",cache_size=200M
random_reads "$MNT/repo1/snap_big/$big_path" "$REPO/__ss_snap_big/$big_key"
check_bytes damaged
umount_fs
grep -q 'is damaged: dropped' "$W/log" || fail "no damaged block was logged"

# A smaller size at the next mount: evicted down to it at once.
mount_fs "$S3LOC" $S3_OPTS -o cache_dir="$C",cache_size=16M
n=$(cache_bytes)
[ "$n" -le 16777216 ] || fail "after remount with 16M: $n bytes"
check_bytes "16M cache"
umount_fs
n=$(cache_bytes)
[ "$n" -le 16777216 ] || fail "16M cache holds $n bytes"

# A daemon that forked (fstab, systemd without -f) writes its cache too.
rm -rf "$C"
${SNAPFS_WRAPPER:-} "$SNAPFS" "$S3LOC" "$MNT" $S3_OPTS \
    -o cache_dir="$C",cache_size=200M >>"$W/log" 2>&1 ||
    fail "snapfs as a daemon did not start"
daemon=$(pgrep -n -f "$MNT") || fail "no daemon for $MNT"
EXTRA_KILL="$EXTRA_KILL $daemon"
cmp "$MNT/repo1/snap_big/$big_path" "$REPO/__ss_snap_big/$big_key" ||
    fail "daemon: the big file differs"
fusermount3 -u "$MNT" || fail "fusermount3 -u of the daemon's mount"
wait_gone "$daemon" 30 "the daemon"
n=$(cache_bytes)
[ "$n" -gt 0 ] || fail "a forked daemon cached nothing"

"$SNAPFS" -f "$S3LOC" "$MNT" $S3_OPTS -o cache_size=1G 2>"$W/err" &&
    fail "cache_size without cache_dir was accepted"
grep -q 'cache_dir' "$W/err" || fail "cache_size alone: $(cat "$W/err")"
