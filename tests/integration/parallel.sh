#!/bin/sh
# parallel.sh - many readers of one open large file at once, at random
# offsets and at its end (which finishes the md5 check while other reads
# are in flight): every byte read equals the object's, none fails.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --label snap_big --big 24000000
mount_fs "$LOC"
expect_files "$(info_file "$LOC" repo1 snap_big)" >"$W/files.txt"
BIG=$(awk -F '\t' '$1 ~ /\.dat$/ { print $1; exit }' "$W/files.txt")
KEY=$(awk -F '\t' -v f="$BIG" '$1 == f { print $2; exit }' "$W/files.txt")
SRC=$(repo_dir "$LOC" repo1)/__ss_snap_big/$KEY
[ "$(stat -c %s "$SRC")" -gt 16000000 ] || fail "no big file ($BIG)"

for round in 1 2 3; do
	python3 - "$MNT/repo1/snap_big/$BIG" "$SRC" <<'PY' ||
import os, random, sys, threading
mnt, src = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
fd = os.open(mnt, os.O_RDONLY)
errors = []
def reader(seed):
    rnd = random.Random(seed)
    for _ in range(40):
        off = rnd.choice([len(data) - 131072, rnd.randrange(len(data))])
        try:
            got = os.pread(fd, 131072, off)
        except OSError as e:
            errors.append("pread at %d: %s" % (off, e))
            return
        if got != data[off:off + 131072]:
            errors.append("wrong bytes at %d" % off)
threads = [threading.Thread(target=reader, args=(s,)) for s in range(8)]
for t in threads: t.start()
for t in threads: t.join()
os.close(fd)
if errors:
    sys.exit("; ".join(errors[:3]))
PY
	    fail "round $round: parallel reads failed"
	cmp "$MNT/repo1/snap_big/$BIG" "$SRC" || fail "round $round: differs"
	umount_fs
	mount_fs "$LOC"
done
umount_fs
