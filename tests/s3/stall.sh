#!/bin/sh
# s3/stall.sh - a server that stops sending in the middle of a large read
# (tests/s3/faultproxy.py, stall): the read fails with EIO within the
# deadline snapfs(8) documents (about a minute), and so does a read right
# after (the server still answers small requests: it is not down); no
# thread of the daemon sleeps in D state (a reader waits for its pages in
# a killable sleep, shown as D, like any read through the page cache); a
# reader, an ls or a stat of tablet.txt waiting for its header dies at
# once on kill -9; once the server sends again, the same files read whole
# and right on the same mount.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

s3_start
LOC=$W/loc
mkrepo "$LOC" --label snap_a --big 8000000
mkrepo "$LOC" --label snap_b --big 6000000
mkrepo "$LOC" --label snap_c
s3_publish "$LOC"
fault_start
mount_fs "$S3LOC" $FAULT_OPTS
BIG=$(cd "$LOC" && find . -name '*.dat.*' -size +7M | sed 's|^\./||')
BIG2=$(cd "$LOC" && find . -name '*.dat.*' -size +5M -size -7M |
    sed 's|^\./||')
[ -n "$BIG" ] && [ -n "$BIG2" ] || fail "no big files in $LOC"
R=$MNT/.raw/__palo_repository_repo1
ls -R "$R/__ss_snap_a" "$R/__ss_snap_b" >/dev/null || fail "cannot list .raw"

# Every answer stops after 100000 bytes, and the connection stays open.
fault_set "stall after=100000"
_t0=$(now)
cat "$MNT/.raw/$BIG" >/dev/null 2>"$W/cat.err" &
READER=$!
EXTRA_KILL="$EXTRA_KILL $READER"
i=0
while pid_alive "$READER"; do
	no_d_state "$SNAPFS_PID"
	[ $i -lt 1200 ] || fail "the reader still waits after 120 s"
	sleep 0.1
	i=$((i + 1))
done
T=$(elapsed "$_t0")
wait "$READER" && fail "a read from a stalled server succeeded"
grep -q "Input/output error" "$W/cat.err" ||
    fail "stalled read: $(cat "$W/cat.err")"
note "a stalled read failed with EIO after $T s ($(fault_count) stalls)"
grep -q "Operation too slow" "$W/log" || fail "no stall in the log"
mountpoint -q "$MNT" || fail "the mount went away"

# Right after, the endpoint is marked down, but its probe, the read's
# first request, is answered: the server is up, and the read fails in one
# more deadline.
_t0=$(now)
cat "$MNT/.raw/$BIG2" >/dev/null 2>&1 && fail "a read right after succeeded"
note "a read right after failed in $(elapsed "$_t0") s"

# A reader waiting on a stalled server dies at once when killed: snapfs
# gives up the request the kernel says is interrupted.
sleep 6		# the endpoint is tried again after 5 s
cat "$MNT/.raw/$BIG2" >/dev/null 2>&1 &
READER=$!
EXTRA_KILL="$EXTRA_KILL $READER"
sleep 2
pid_alive "$READER" || fail "the read ended before the kill"
no_d_state "$SNAPFS_PID"
_t0=$(now)
kill -KILL "$READER"
wait_gone "$READER" 10 "a killed reader"
note "a reader waiting on a stall died $(elapsed "$_t0") s after kill -9"
# The kernel sends INTERRUPT only for a read it waits on itself; a
# read-ahead request (what a fresh open with read-ahead sends) is never
# interrupted: the killed reader just stops waiting for its pages.
if grep -q "Interrupted system call\|interrupted" "$W/log"; then
	note "the interrupted request was given up"
else
	note "no INTERRUPT came (a read-ahead request)"
fi

# The same for a listing: ls of a folder not loaded yet, killed.
fault_set "stall after=0"
ls "$R/__ss_snap_c" >"$W/ls.out" 2>&1 &
READER=$!
EXTRA_KILL="$EXTRA_KILL $READER"
sleep 2
pid_alive "$READER" ||
    fail "the listing ended before the kill: $(head -n 3 "$W/ls.out")"
_t0=$(now)
kill -KILL "$READER"
wait_gone "$READER" 10 "a killed ls"
note "an ls waiting on a stall died $(elapsed "$_t0") s after kill -9"

# The same for a stat of a tablet.txt whose header is held: the waiter
# is woken by the INTERRUPT, not by the fetch.
fault_set pass
sleep 6		# the endpoint is tried again after 5 s
TT=$(find "$MNT/repo1/snap_a" -name tablet.txt | sort | head -n 1)
[ -n "$TT" ] || fail "no tablet.txt in snap_a"
fault_set "hold match=.hdr"
stat "$TT" >/dev/null 2>&1 &
READER=$!
EXTRA_KILL="$EXTRA_KILL $READER"
sleep 2
pid_alive "$READER" || fail "the stat of a held header ended before the kill"
_t0=$(now)
kill -KILL "$READER"
wait_gone "$READER" 10 "a killed stat"
note "a stat waiting on a held header died $(elapsed "$_t0") s after kill -9"

# The server sends again: both files read whole and right.
fault_set pass
_t0=$(now)
cmp "$MNT/.raw/$BIG" "$LOC/$BIG" || fail "$BIG differs after recovery"
sleep 6		# the endpoint is tried again after 5 s
cmp "$MNT/.raw/$BIG2" "$LOC/$BIG2" || fail "$BIG2 differs after recovery"
note "both files read right $(elapsed "$_t0") s after the server came back"
ls "$R/__ss_snap_c" >"$W/ls.out" || fail "cannot list the folder given up"
grep -q '^Tablet: ' "$TT" || fail "tablet.txt after recovery: $(cat "$TT")"
grep -q '^__info_' "$W/ls.out" ||
    fail "the folder given up lists: $(cat "$W/ls.out")"
umount_fs
