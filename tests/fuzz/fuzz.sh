#!/bin/sh
# Build the fuzz targets with clang and libFuzzer (ASan + UBSan) in DIR and
# run each for SECONDS, starting from its seed corpus and regression inputs
# (a copy: the corpus in the tree is not changed).  One line per target,
# "PASS: fuzz-NAME (...)" or "FAIL: ...", then the crashing input is left in
# DIR/NAME/ to be kept in tests/fuzz/regress/NAME/ once fixed.
#	sh tests/fuzz/fuzz.sh DIR SECONDS [NAME ...]
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
secs=$2
shift 2
targets=${*:-"info xml ctl tablet"}
CC=${FUZZ_CC:-clang}
MAXLEN=${FUZZ_MAXLEN:-65536}

mkdir -p "$dir/obj"
flags="-g -O1 -std=gnu11 -pthread -fsanitize=address,undefined
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer
	-D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DFUSE_USE_VERSION=314
	-I$top/src $(pkg-config --cflags fuse3 libcrypto libcurl libxml-2.0 libzstd)"
libs="$(pkg-config --libs fuse3 libcrypto libcurl libxml-2.0 libzstd) -pthread"

# The library, once, instrumented for coverage.
objs=
for c in "$top"/src/*.c; do
	[ "${c##*/}" = main.c ] && continue
	o=$dir/obj/$(basename "$c" .c).o
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ]; then
		$CC $flags -fsanitize=fuzzer-no-link -c "$c" -o "$o" ||
		    { echo "FAIL: fuzz build ($c)"; exit 1; }
	fi
	objs="$objs $o"
done

status=0
for t in $targets; do
	out=$dir/$t
	rm -rf "$out"
	mkdir -p "$out/corpus"
	cp "$top/tests/fuzz/corpus/$t/"* "$out/corpus/"
	cp "$top/tests/fuzz/regress/$t/"* "$out/corpus/" 2>/dev/null
	if ! $CC $flags -fsanitize=fuzzer "$top/tests/fuzz/fuzz-$t.c" $objs \
	    $libs -o "$out/fuzz-$t" >"$out/build.log" 2>&1; then
		cat "$out/build.log"
		echo "FAIL: fuzz-$t (build)"
		status=1
		continue
	fi
	# Leaks are reported and fail the run as crashes do.
	(cd "$out" && ASAN_OPTIONS=detect_leaks=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    nice ./fuzz-"$t" -max_total_time="$secs" -max_len="$MAXLEN" \
	    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$out/" corpus >fuzz.log 2>&1)
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$out/fuzz.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/fuzz.log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "PASS: fuzz-$t (${execs:-?} execs in $secs s, $cov)"
	else
		grep -A 30 -m 1 'ERROR:\|runtime error' "$out/fuzz.log"
		ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* \
		    "$out"/oom-* 2>/dev/null
		echo "FAIL: fuzz-$t (exit $rc, see $out/fuzz.log)"
		status=1
	fi
done
exit $status
