#!/bin/sh
# The whole test suite: install, build, make check, make distcheck.
# The last line is "N passed, N failed".
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}

sh "$top/tests/build.sh" || { echo "0 passed, 1 failed"; exit 1; }
cd "$build"
make -s -j"$(nproc)" check >/dev/null 2>&1
check=$?
for log in $(find tests -name '*.log' ! -name test-suite.log | sort); do
	sed -n 's/^:test-result: //p' "${log%.log}.trs" |
	    while read -r result; do echo "$result: ${log%.log}"; done
done
passed=$(grep -h '^:test-result: PASS' $(find tests -name '*.trs') | wc -l)
failed=$(grep -hv '^:test-result: PASS' $(find tests -name '*.trs') |
    grep -c '^:test-result:')
if [ "$check" -ne 0 ]; then
	cat test-suite.log
fi

echo "make distcheck"
if make -s distcheck >distcheck.log 2>&1; then
	passed=$((passed + 1))
	echo "PASS: distcheck"
else
	failed=$((failed + 1))
	tail -n 60 distcheck.log
	echo "FAIL: distcheck"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
