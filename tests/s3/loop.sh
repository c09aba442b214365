#!/bin/sh
# s3/loop.sh - a listing that loops: a fake S3 server (tests/s3/fakes3.py)
# whose continuation tokens come back (a -> b -> c -> a).  snapfs sees the
# loop, stops with "the listing loops" in its log and exits within
# seconds, without growing: its peak RSS stays under 512 MiB.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog timeout

[ -x "$SNAPFS" ] || fail "snapfs not found at $SNAPFS (build it, or set SNAPFS)"
python3 "$srcdir/tests/s3/fakes3.py" "$W/port" 2>"$W/fakes3.log" &
EXTRA_KILL="$EXTRA_KILL $!"
i=0
while [ ! -s "$W/port" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "fakes3.py did not start"
	sleep 0.05
done
port=$(cat "$W/port")

st=0
AWS_ACCESS_KEY_ID=fake AWS_SECRET_ACCESS_KEY=fake \
    timeout -k 5 60 python3 -c '
import resource, subprocess, sys
r = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(r)' "$W/rss" ${SNAPFS_WRAPPER:-} "$SNAPFS" -f s3://b/loc "$MNT" \
    -o "endpoint=http://127.0.0.1:$port,path_style" >"$W/out.txt" \
    2>"$W/err.txt" || st=$?
cat "$W/err.txt" >>"$W/log"
[ "$st" -ne 0 ] || fail "snapfs mounted a location whose listing loops"
[ "$st" -ne 124 ] && [ "$st" -ne 137 ] ||
    fail "snapfs still listing after 60 s: $(tail -n 3 "$W/err.txt")"
[ -z "$(lib_mounts)" ] || fail "something is mounted: $(lib_mounts)"
grep -q 'the listing loops: continuation token "[abc]" came back' \
    "$W/err.txt" || fail "no 'listing loops' line: $(cat "$W/err.txt")"
rss=$(cat "$W/rss")
note "exit $st, peak RSS $rss KiB, $(grep -c 'GET' "$W/fakes3.log") requests"
[ "$rss" -lt $((512 * 1024)) ] || fail "peak RSS $rss KiB"
