#!/bin/sh
# s3/bench_smoke.sh - bench/run.sh --quick with the curl and snapfs columns
# still runs to its tables (files, snapshots and live rows): every row has
# a figure (or n/a where this snapfs lacks an option), nothing is left
# mounted.  It asserts no timing.
set -eu
LC_ALL=C
export LC_ALL
srcdir=$(cd "${srcdir:-$(dirname "$0")/../..}" && pwd)
me=bench_smoke
fail() { printf '%s: FAIL: %s\n' "$me" "$*" >&2; exit 1; }

[ -n "${SNAPFS:-}" ] || SNAPFS=${top_builddir:-.}/src/snapfs
case $SNAPFS in /*) ;; *) SNAPFS=$(pwd)/$SNAPFS ;; esac
export SNAPFS
W=$(mktemp -d "${TMPDIR:-/tmp}/snapfs-bench_smoke.XXXXXX")
trap 'rm -rf "$W"' EXIT
out=$W/out
BENCH_DIR=$W/bench
export BENCH_DIR

st=0
sh "$srcdir/bench/run.sh" --quick --columns curl,cold,cache >"$out" 2>&1 ||
    st=$?
[ "$st" -eq 0 ] || { cat "$out" >&2; fail "bench/run.sh --quick exited $st"; }
cat "$out"

# One line per row, a number in the curl and snapfs cold columns where
# curl has one, and the targets below.
rows=$(grep -c '^| [a-z]' "$out") || :
[ "$rows" -eq 10 ] || fail "$rows rows in the table, not 10"
# Rows of the curl column only: 16 ranges at once, the tablet headers.
awk -F '|' '/^\| [a-z]/ {
	only = $2 ~ /^ (read, 16 ranges|tablet headers)/
	for (i = 3; i <= 4; i++) {
		gsub(/ /, "", $i)
		if (!($i ~ /^[0-9.]+$/ || (i == 3 && $i == "-" && !only) ||
		    (i == 4 && $i == "-" && only)))
			bad = bad "\n" $2 ": column " i - 2 " is \"" $i "\""
	}
} END { if (bad != "") { print bad; exit 1 } }' "$out" >&2 ||
    fail "a measurement failed (above)"
grep -q '^| time to first byte' "$out" || fail "no time to first byte row"
grep -q '^Targets of issues 5' "$out" || fail "no targets"
# The snapshot rows: a figure in snapfs cold's column; the live rows: in
# the RSS column and the loopback one (n/a without -o refresh=).
awk -F '|' '/^\| `/ { gsub(/ /, "", $4); if ($4 !~ /^[0-9.]+$/)
	bad = bad "\n" $2 ": snapfs cold is \"" $4 "\"" }
/^\| +[0-9]+ \|/ { gsub(/ /, "", $3); if ($3 !~ /^[0-9]+$/)
	bad = bad "\n" $2 "snapshots walked: VmRSS is \"" $3 "\"" }
/^\|   (one refresh|another writer)/ { gsub(/ /, "", $3)
	if ($3 !~ /^([0-9.]+|n\/a)$/) bad = bad "\n" $2 ": \"" $3 "\"" }
END { if (bad != "") { print bad; exit 1 } }' "$out" >&2 ||
    fail "a measurement of the snapshot or live rows failed (above)"
[ "$(grep -c '^| `' "$out")" -ge 2 ] || fail "no rows of snapshots"
grep -q '^Live: the daemon' "$out" || fail "no RSS rows"
grep -q '^Live: a repository' "$out" || fail "no refresh rows"
! grep -qF " $W/" /proc/mounts || fail "a bench mount is left behind"
echo "$me: ok"
