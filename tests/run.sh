#!/bin/sh
# The whole test suite: install what it needs, build, start one S3 server
# (radosgw) for the whole run, make check, make distcheck.  The last line
# is "N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}

if ! sh "$top/tests/build.sh" || ! sh "$top/tests/s3/deps.sh"; then
	echo "0 passed, 1 failed"
	exit 1
fi

S3_RGW_DIR=$(mktemp -d /tmp/snapfs-rgw.XXXXXX)
rmdir "$S3_RGW_DIR"
trap 'sh "$top/tests/s3/rgw.sh" stop "$S3_RGW_DIR"' EXIT INT TERM
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if ! sh "$top/tests/s3/rgw.sh" start "$S3_RGW_DIR" "$port"; then
	echo "0 passed, 1 failed"
	exit 1
fi
export S3_RGW_DIR

cd "$build"
make -s -j"$(nproc)" check >check.log 2>&1
check=$?
trs=$(find tests -name '*.trs' | sort)
for t in $trs; do
	echo "$(sed -n 's/^:test-result: //p' "$t"): ${t%.trs}"
done
passed=$(cat $trs | grep -c '^:test-result: PASS')
failed=$(cat $trs | grep '^:test-result:' | grep -vc ': PASS')
[ "$check" -eq 0 ] || cat test-suite.log

if make -s distcheck >distcheck.log 2>&1; then
	passed=$((passed + 1))
	echo "PASS: make distcheck"
else
	failed=$((failed + 1))
	tail -n 60 distcheck.log
	echo "FAIL: make distcheck"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
