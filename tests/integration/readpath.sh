#!/bin/sh
# readpath.sh - bytes read through every path equal their objects: a 40 MiB
# file read cold (read-ahead), again, and at random offsets; a walk of the
# snapshot (remote, the next files are warmed ahead, across folders); all of
# it again under -o memory=2M with four readers at once (read-ahead
# starved, readers wait or read directly).  The kernel reads ahead 1 MiB.
# A damaged 160 MiB file read at its end first (no digest: too far ahead)
# still fails a later cat, which reads faster than md5 goes.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog cmp dd md5sum

LOC=$W/loc
REPO=$LOC/__palo_repository_repo1
BIG=41943040
BAD=167772160	# read faster than it is hashed: the check must keep up
mkrepo "$LOC" --label snap_big --big $BIG --files-per-tablet 6
mkrepo "$LOC" --label snap_bad --big $BAD
tab=$(printf '\t')
expect_files "$(info_file "$LOC" repo1 snap_big)" >"$W/files.txt"
big_path=
while IFS=$tab read -r path key; do
	[ "$(stat -c %s "$REPO/__ss_snap_big/$key")" -eq $BIG ] &&
	    big_path=$path big_key=$key
done <"$W/files.txt"
[ -n "$big_path" ] || fail "generator: no $BIG byte file"
expect_files "$(info_file "$LOC" repo1 snap_bad)" >"$W/bad.txt"
while IFS=$tab read -r path key; do
	[ "$(stat -c %s "$REPO/__ss_snap_bad/$key")" -eq $BAD ] &&
	    bad_path=$path bad_key=$key
done <"$W/bad.txt"
# Flip a byte near its start: the md5 in its name no longer matches.
python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(1000); b = f.read(1); f.seek(1000)
f.write(bytes([b[0] ^ 1]))' "$REPO/__ss_snap_bad/$bad_key"
sum=$(md5sum <"$REPO/__ss_snap_bad/$bad_key" | cut -c1-32)
[ "$sum" != "${bad_key##*.}" ] || fail "the flip did not change the md5"

# random_reads FILE SOURCE: 200 reads of 1 byte to 300 KiB at random
# offsets, some past the end, compared with the source.
random_reads()
{
	python3 - "$1" "$2" <<'PY' || fail "random reads of $1 differ"
import os, random, sys
r = random.Random(5)
size = os.path.getsize(sys.argv[2])
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "rb") as g:
    for i in range(200):
        off = r.randrange(0, size + 4096)
        n = r.choice([1, 4096, 131072, 307200, r.randrange(1, 300000)])
        f.seek(off)
        g.seek(off)
        a, b = f.read(n), g.read(n)
        if a != b:
            sys.exit("read of %d at %d: %d bytes differ" % (n, off, len(a)))
PY
}

# walk: every file of the big snapshot equals its object, in listing order
walk()
{
	while IFS=$tab read -r path key; do
		cmp "$MNT/repo1/snap_big/$path" "$REPO/__ss_snap_big/$key" ||
		    fail "$path differs from its object"
	done <"$W/files.txt"
}

check_all()
{
	F=$MNT/repo1/snap_big/$big_path
	S=$REPO/__ss_snap_big/$big_key
	cmp "$F" "$S" || fail "cold read of the big file differs"
	cmp "$F" "$S" || fail "second read of the big file differs"
	dd if="$F" bs=1M iflag=direct status=none | cmp - "$S" ||
	    fail "O_DIRECT read of the big file differs"
	random_reads "$F" "$S"
	walk
	# A damaged file read at its end first: the bytes come without a
	# check, and a copy afterwards still fails.
	B=$MNT/repo1/snap_bad/$bad_path
	dd if="$B" of="$W/tail" bs=4096 skip=$((BAD / 4096 - 1)) count=1 \
	    status=none ||
	    fail "a read at the end of the damaged file failed"
	tail -c 4096 "$REPO/__ss_snap_bad/$bad_key" | cmp - "$W/tail" ||
	    fail "the end of the damaged file differs"
	cat "$B" >/dev/null 2>"$W/err" && fail "cat of the damaged file worked"
	grep -q 'Input/output error' "$W/err" || fail "cat: $(cat "$W/err")"
}

# Remote, a walk in listing order finds the next files fetched already,
# across folders too: all but the first and the big one.
if [ "$BACKEND" != local ]; then
	mount_fs "$LOC"
	walk
	hits=$(sed -n 's/^ *"warm_hits": \([0-9]*\).*/\1/p' "$MNT/stats.json")
	n=$(grep -c . "$W/files.txt")
	[ "$hits" -ge $((n - 2)) ] ||
	    fail "a walk of $n files found $hits of them warmed"
	umount_fs
fi

# The kernel reads ahead 1 MiB at a time (its default is 128 KiB), also
# on a mount point whose name mountinfo escapes.
read_ahead()
{
	cat "/sys/class/bdi/$(mountpoint -d "$MNT")/read_ahead_kb"
}
mount_fs "$LOC"
[ "$(read_ahead)" -eq 1024 ] || fail "read-ahead of $(read_ahead) KiB"
check_all
umount_fs
MNT0=$MNT
MNT="$W/a mount\\point"
mkdir "$MNT"
mount_fs "$LOC"
[ "$(read_ahead)" -eq 1024 ] || fail "$MNT: read-ahead of $(read_ahead) KiB"
cmp "$MNT/repo1/snap_big/$big_path" "$REPO/__ss_snap_big/$big_key" ||
    fail "$MNT: the big file differs"
umount_fs
MNT=$MNT0

# Two MiB for four readers at once: read-ahead gets little or nothing.
mount_fs "$LOC" -o memory=2M
F=$MNT/repo1/snap_big/$big_path
S=$REPO/__ss_snap_big/$big_key
pids=
for i in 1 2 3 4; do
	(cmp "$F" "$S" && walk) >"$W/par$i.txt" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || fail "a parallel reader failed: $(cat "$W"/par*.txt)"
done
check_all
umount_fs

"$SNAPFS" -f "$LOC" "$MNT" -o memory=12 2>"$W/err" &&
    fail "memory=12 was accepted"
grep -q 'memory=12' "$W/err" || fail "memory=12: $(cat "$W/err")"
