#!/bin/sh
# The whole test suite: install what it needs, build, start one S3 server
# (radosgw) and one Azure Blob server (Azurite) for the whole run, then
#   make check                      unit, fuzz replays, integration, S3,
#                                   Azure
#   make distcheck
#   fuzz: each libFuzzer target for FUZZ_SECONDS (60) with clang
#   san: make check again, but the Azure tests, built with
#        --enable-sanitizers (ASan + UBSan)
#   valgrind: the integration tests with the daemon under valgrind
# Each test of each step is one line; the last line is "N passed, N failed".
# CHECK_STEPS (default "check distcheck fuzz san valgrind") picks steps.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
steps=${CHECK_STEPS:-check distcheck fuzz san valgrind}
passed=0
failed=0
start=$(date +%s)

if ! sh "$top/tests/build.sh" || ! sh "$top/tests/s3/deps.sh" ||
    ! sh "$top/tests/azure/deps.sh"; then
	echo "0 passed, 1 failed"
	exit 1
fi

# One radosgw and one Azurite for the whole run.
free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
S3_RGW_DIR=$(mktemp -d /tmp/snapfs-rgw.XXXXXX)
AZURE_DIR=$(mktemp -d /tmp/snapfs-azurite.XXXXXX)
rmdir "$S3_RGW_DIR" "$AZURE_DIR"
trap 'sh "$top/tests/s3/rgw.sh" stop "$S3_RGW_DIR"
    sh "$top/tests/azure/azurite.sh" stop "$AZURE_DIR"' EXIT INT TERM
if ! sh "$top/tests/s3/rgw.sh" start "$S3_RGW_DIR" "$(free_port)" ||
    ! sh "$top/tests/azure/azurite.sh" start "$AZURE_DIR" "$(free_port)"; then
	echo "0 passed, 1 failed"
	exit 1
fi
export S3_RGW_DIR AZURE_DIR

has()	# STEP: is it to run?
{
	case " $steps " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

result()	# PASS|FAIL WHAT
{
	echo "$1: $2"
	if [ "$1" = PASS ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}

step_time()	# NAME START
{
	echo "# $1 took $(($(date +%s) - $2)) s"
}

# check_in DIR PREFIX [TESTS]: make check in DIR (of TESTS, a make
# expression, if given), one line per test.
check_in()
{
	(cd "$1" && make -s -j"$(nproc)" check ${3:+TESTS="$3"} \
	    >check.log 2>&1)
	_check=$?
	_trs=$(cd "$1" && find tests -name '*.trs' | sort)
	for _t in $_trs; do
		_r=$(sed -n 's/^:test-result: //p' "$1/$_t")
		case $_r in
		PASS) result PASS "$2${_t%.trs}" ;;
		*) result FAIL "$2${_t%.trs} ($_r)" ;;
		esac
	done
	[ "$_check" -eq 0 ] || cat "$1/test-suite.log"
	[ -n "$_trs" ] || result FAIL "$2make check (no tests ran)"
}

if has check; then
	t0=$(date +%s)
	check_in "$build" ""
	step_time check "$t0"
fi

if has distcheck; then
	t0=$(date +%s)
	# The tarball builds, installs and passes its unit tests and two
	# mount tests; the whole suite ran in the check step already.
	dist_tests="$(sed -n '/^UNIT = /,/^$/p' "$top/Makefile.am" |
	    grep -o 'tests/unit/[a-z0-9_]*' | tr '\n' ' ')"
	dist_tests="$dist_tests tests/integration/man.sh tests/integration/tree.sh"
	if (cd "$build" && make -s distcheck TESTS="$dist_tests" \
	    >distcheck.log 2>&1); then
		result PASS "make distcheck"
	else
		tail -n 60 "$build/distcheck.log"
		result FAIL "make distcheck"
	fi
	step_time distcheck "$t0"
fi

# Fuzzing: a bounded run of every target, from its seed corpus.
if has fuzz; then
	t0=$(date +%s)
	if sh "$top/tests/deps.sh" clang libclang-rt-dev; then
		sh "$top/tests/fuzz/fuzz.sh" "$build/fuzz" \
		    "${FUZZ_SECONDS:-60}" >"$build/fuzz.log" 2>&1
		grep -v '^PASS: \|^FAIL: ' "$build/fuzz.log" | tail -n 60
		while read -r r what; do
			result "${r%:}" "$what"
		done <<-END
		$(grep '^PASS: \|^FAIL: ' "$build/fuzz.log")
		END
		grep -q '^PASS: \|^FAIL: ' "$build/fuzz.log" ||
		    result FAIL "fuzz (nothing ran)"
	else
		result FAIL "fuzz (no clang)"
	fi
	step_time fuzz "$t0"
fi

# The suite on the local backend and one remote one (S3) under ASan and
# UBSan; a report in $san/reports (ASan's log_path) or in any test's log
# fails the step, naming where it is.
if has san; then
	t0=$(date +%s)
	san=${build}-san
	mkdir -p "$san"
	rm -rf "$san/reports"
	mkdir "$san/reports"
	if (cd "$san" && { [ -f Makefile ] ||
	    "$top/configure" -q --enable-sanitizers; } &&
	    make -s -j"$(nproc)" >build.log 2>&1); then
		ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:log_path=$san/reports/asan \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$san/reports/ubsan \
		    check_in "$san" "san: " '$(SAN_TESTS)'
		# UBSan writes to stderr whatever log_path says: the test
		# logs hold what the tests and their daemons (tests/lib.sh)
		# wrote there.
		report='runtime error:|ERROR: AddressSanitizer|LeakSanitizer'
		_logs=$(find "$san/tests" -name '*.log' \
		    -exec grep -alE "$report" {} + | sort)
		for _l in $_logs; do
			grep -aE -A 20 "$report" "$_l" | head -n 40
			result FAIL "san: sanitizer report in ${_l#"$san"/}"
		done
		if [ -n "$(ls "$san/reports")" ]; then
			head -n 40 "$san"/reports/*
			result FAIL "san: sanitizer reports in $san/reports"
		elif [ -z "$_logs" ]; then
			result PASS "san: no sanitizer report"
		fi
	else
		tail -n 30 "$san/build.log"
		result FAIL "san: build with --enable-sanitizers"
	fi
	step_time san "$t0"
fi

# The local integration tests with the daemon under valgrind: any error
# (a leak counts) in any daemon fails that test.  scale.sh is left out:
# its 1.2 million objects would take hours under valgrind, and it asserts
# the daemon's RSS, which valgrind inflates.
if has valgrind; then
	t0=$(date +%s)
	if sh "$top/tests/deps.sh" valgrind; then
		vg=$build/valgrind
		rm -rf "$vg"
		mkdir -p "$vg"
		tests=$(sed -n '/^INTEGRATION = /,/^$/p' "$top/Makefile.am" |
		    grep -o 'tests/integration/[a-z_0-9]*\.sh' |
		    grep -v scale.sh)
		for t in $tests; do
			n=$(basename "$t" .sh)
			mkdir "$vg/$n"
			SNAPFS_WRAPPER="valgrind --quiet --error-exitcode=99
			    --leak-check=full --show-leak-kinds=definite
			    --errors-for-leak-kinds=definite
			    --log-file=$vg/$n/vg.%p" \
			SNAPFS=$build/src/snapfs \
			BROKERTOOL=$build/tests/brokertool MANDOC=mandoc \
			srcdir=$top timeout 900 sh "$top/$t" >"$vg/$n/log" 2>&1
			rc=$?
			errs=$(cat "$vg/$n"/vg.* 2>/dev/null |
			    grep -c 'ERROR SUMMARY: [1-9]')
			if [ "$rc" -eq 0 ] && [ "$errs" -eq 0 ]; then
				result PASS "valgrind: $t"
			else
				tail -n 20 "$vg/$n/log"
				head -n 60 "$vg/$n"/vg.* 2>/dev/null
				result FAIL "valgrind: $t (exit $rc, $errs daemons with errors)"
			fi
		done
	else
		result FAIL "valgrind (not installed)"
	fi
	step_time valgrind "$t0"
fi

echo "# the whole run took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
