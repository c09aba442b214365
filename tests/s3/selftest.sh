#!/bin/sh
# Check rgw.sh and aws.sh for real: start radosgw, upload 1,500 small files
# (some keys with ':' '@' '+' ' ' and UTF-8), list them back (paginated),
# GET with curl's SigV4, check a bad secret is refused, stop, check that no
# daemon is left.  Twice, then the leftover / port-conflict cases.
#
#   sh tests/s3/selftest.sh [WORKDIR [PORT]]
#
# WORKDIR (default: a new folder under /tmp) is removed at the end.
# The last line is "N passed, N failed".
set -u

here=$(cd "$(dirname "$0")" && pwd)
W=${1:-$(mktemp -d /tmp/s3-selftest.XXXXXX)}
PORT=${2:-7480}
mkdir -p "$W"
W=$(cd "$W" && pwd -P)
RGW=$W/rgw
rgw() { sh "$here/rgw.sh" "$@"; }
aws() { sh "$here/aws.sh" "$RGW" "$@"; }
export LC_ALL=C.UTF-8

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { _m=$1; shift; if "$@"; then ok "$_m"; else ko "$_m"; fi; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# RFC 3986 percent-encoding of a key, '/' kept.
urlenc() {
	printf %s "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | while read -r h; do
		case $h in
		'') ;;
		2d | 2e | 2f | 5f | 7e | 3[0-9] | 4[1-9a-f] | 5[0-9a] | 6[1-9a-f] | 7[0-9a])
			printf "\\$(printf %03o "0x$h")" ;;
		*) printf %%%s "$(echo "$h" | tr a-f A-F)" ;;
		esac
	done
}

# Our live (non-zombie) ceph / radosgw processes.  Other sessions on the
# machine may run their own: only those with WORKDIR in their arguments
# count.
live_ceph() {
	ps -eo pid=,stat=,comm=,args= | awk -v w="$W/" '$2 !~ /^Z/ &&
	    ($3 ~ /^ceph/ || $3 ~ /^radosgw/) && index($0, w) { print }'
}

# The tree to upload: 1,500 files.
SRC=$W/src
rm -rf "$SRC"
i=1
while [ $i -le 1490 ]; do
	mkdir -p "$SRC/d$((i % 10))"
	echo "file $i" >"$SRC/d$((i % 10))/f$i.txt"
	i=$((i + 1))
done
mkdir -p "$SRC/special/订单" "$SRC/special/plus+dir" "$SRC/special/x:y@z+w v"
for f in "a:b.txt" "user@host.txt" "a+b.txt" "with space.txt" \
    "订单/2024-01.csv" "订单 a+b:c@d.txt" "plus+dir/file+1.txt" \
    "x:y@z+w v/订单.txt" "100%.txt" "tilde~and=eq&amp.txt"; do
	echo "special $f" >"$SRC/special/$f"
done
nfiles=$(find "$SRC" -type f | wc -l)
(cd "$SRC" && find . -type f | sed 's|^\./|prefix/|' | sort) >"$W/want"

cycle() {
	echo "--- cycle $1"
	t=$(ms)
	if ! rgw start "$RGW" "$PORT"; then
		ko "start"
		return
	fi
	start_ms=$(($(ms) - t))
	ok "start (${start_ms} ms)"
	eval "$(rgw env "$RGW")"
	check "env" [ "$S3_ENDPOINT" = "http://127.0.0.1:$PORT" ]

	check "mb" aws s3 mb s3://bkt
	t=$(ms)
	check "cp --recursive of $nfiles files" \
	    aws s3 cp --recursive "$SRC" s3://bkt/prefix/
	echo "    upload: $(($(ms) - t)) ms"

	t=$(ms)
	aws s3api list-objects-v2 --bucket bkt --prefix prefix/ \
	    --query 'Contents[].[Key]' --output text | sort >"$W/got"
	echo "    full listing: $(($(ms) - t)) ms"
	check "list-objects-v2 gives back all $nfiles keys, exactly" \
	    cmp -s "$W/want" "$W/got"
	page=$(aws s3api list-objects-v2 --bucket bkt --prefix prefix/ \
	    --no-paginate --query '[KeyCount,IsTruncated,NextContinuationToken]' \
	    --output text)
	set -- $page
	if [ "$1" = 1000 ] && [ "$2" = True ] && [ -n "${3-}" ]; then
		ok "page 1: 1000 keys, truncated, token"
	else ko "page 1: $page"; fi
	page=$(aws s3api list-objects-v2 --bucket bkt --prefix prefix/ \
	    --no-paginate --continuation-token "${3-x}" \
	    --query '[KeyCount,IsTruncated]' --output text)
	set -- $page
	if [ "$1" = $((nfiles - 1000)) ] && [ "$2" = False ]; then
		ok "page 2 (continuation-token): $1 keys, not truncated"
	else ko "page 2: $page"; fi

	for k in "d3/f13.txt" "special/订单 a+b:c@d.txt" \
	    "special/x:y@z+w v/订单.txt" "special/100%.txt"; do
		url="$S3_ENDPOINT/bkt/$(urlenc "prefix/$k")"
		code=$(curl -s -o "$W/body" -w '%{http_code}' \
		    --aws-sigv4 "aws:amz:us-east-1:s3" \
		    --user "$S3_KEY:$S3_SECRET" \
		    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$url")
		if [ "$code" = 200 ] && cmp -s "$W/body" "$SRC/$k"; then
			ok "curl SigV4 GET '$k' -> 200, same bytes"
		else ko "curl SigV4 GET '$k' -> $code"; fi
	done
	code=$(curl -s -o "$W/body" -w '%{http_code}' \
	    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_KEY:wrongsecret" \
	    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	    "$S3_ENDPOINT/bkt/prefix/d3/f13.txt")
	msg="bad secret -> $code $(grep -o '<Code>[^<]*' "$W/body" | cut -c7-)"
	if [ "$code" = 403 ] && grep -q -e SignatureDoesNotMatch \
	    -e AccessDenied "$W/body"; then
		ok "$msg"
	else ko "$msg"; fi
	code=$(curl -s -o /dev/null -w '%{http_code}' \
	    "$S3_ENDPOINT/bkt/prefix/d3/f13.txt")
	check "anonymous GET -> $code" [ "$code" = 403 ]

	t=$(ms)
	check "stop" rgw stop "$RGW"
	echo "    stop: $(($(ms) - t)) ms"
	check "DIR removed" [ ! -e "$RGW" ]
	left=$(live_ceph)
	check "no ceph/radosgw process left${left:+: $left}" [ -z "$left" ]
	echo "    pgrep -a ceph; pgrep -a radosgw (zombies wait for PID 1):"
	{ pgrep -a ceph; pgrep -a radosgw; } | sed 's/^/      /'
	check "stop again is fine" rgw stop "$RGW"
}

cycle 1
cycle 2

echo "--- leftovers and conflicts"
# Stale pid files: pids of live processes that are not ours must survive.
sleep 300 &
sleeper=$!
mkdir -p "$RGW/run"
: >"$RGW/.rgw.sh"
for n in mon.a osd.0 client.rgw.a; do echo $sleeper >"$RGW/run/$n.pid"; done
echo 999999 >"$RGW/run/junk.pid"
check "start over stale pid files" rgw start "$RGW" "$PORT"
check "stale pid not killed" kill -0 $sleeper
kill $sleeper
wait $sleeper 2>/dev/null

# Start again over a running one: the old daemons go first.
old=$(cat "$RGW/run/client.rgw.a.pid")
check "start over a running one" rgw start "$RGW" "$PORT"
check "old radosgw gone" sh -c "! ps -o stat= -p $old | grep -qv Z"
check "new one answers" aws s3 ls

# Port conflicts.
err=$(rgw start "$W/rgw2" "$PORT" 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$err" | grep -q "port $PORT is already in use"; then
	ok "same port again fails: $err"
else ko "same port again: rc $rc: $err"; fi
check "the failed start left the running one alone" aws s3 ls
rgw stop "$W/rgw2"
err=$(rgw start "$W/rgw2" $((PORT + 1)) 2>&1)
check "a second instance on another port (own mon port)" [ -z "$err" ]
check "both answer" sh "$here/aws.sh" "$W/rgw2" s3 ls
check "stop both" sh -c "sh '$here/rgw.sh' stop '$RGW' &&
    sh '$here/rgw.sh' stop '$W/rgw2'"

# DIR that rgw.sh did not make: refused, untouched.
mkdir -p "$W/precious"
echo keep >"$W/precious/file"
rgw start "$W/precious" "$PORT" 2>/dev/null
rc=$?
if [ $rc -ne 0 ] && [ -f "$W/precious/file" ]; then
	ok "refuses a foreign non-empty DIR"
else ko "foreign DIR: rc $rc"; fi
rgw stop "$W/precious" 2>/dev/null
check "stop refuses to remove it too" [ -f "$W/precious/file" ]

left=$(live_ceph)
check "nothing left running${left:+: $left}" [ -z "$left" ]
rm -rf "$W"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
