# tests/lib.sh - sourced by every integration test (POSIX sh).
#
# Gives each test a scratch folder $W (removed on exit), $MNT ($W/mnt),
# mount_fs/umount_fs around the daemon, fail/require_prog and a few
# assertions.  Whatever the test leaves mounted or running is unmounted and
# killed by the EXIT trap, also when the test fails or is interrupted.
#
# Environment: SNAPFS (the daemon; default $builddir/src/snapfs, else
# ${top_builddir:-.}/src/snapfs), srcdir (the source tree; default: two
# levels above the test script), SNAPFS_WRAPPER (optional command put in
# front of the daemon, e.g. "valgrind --error-exitcode=99").
#
# One suite, three backends: with SNAPFS_BACKEND=s3, mount_fs copies the
# local location it is given into a new bucket of a real S3 server
# (radosgw, tests/s3/rgw.sh) with the aws CLI, and mounts that instead;
# with SNAPFS_BACKEND=azure, into a new container of Azurite
# (tests/azure/azurite.sh) with the az CLI.  S3_RGW_DIR and AZURE_DIR name
# servers already started for the whole run (tests/run.sh does so);
# without them each test starts and stops its own.
#
# Run by automake (TESTS, SH_LOG_COMPILER = $(SHELL)) or by hand:
#   SNAPFS=/tmp/build/src/snapfs srcdir=/work/main sh tests/integration/X.sh

set -eu
LC_ALL=C
export LC_ALL

TEST_NAME=$(basename "$0" .sh)

fail()
{
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

note()
{
	printf '%s: %s\n' "$TEST_NAME" "$*"
}

# A missing program is a failure, never a skip.
require_prog()
{
	for _p in "$@"; do
		command -v "$_p" >/dev/null 2>&1 ||
		    fail "required program '$_p' is not installed"
	done
}

require_prog fusermount3 mountpoint python3 mktemp cmp diff find

if [ -z "${srcdir:-}" ]; then
	srcdir=$(dirname "$0")/../..
fi
srcdir=$(cd "$srcdir" && pwd) || fail "bad srcdir"
[ -f "$srcdir/tests/mkrepo.py" ] ||
    fail "srcdir=$srcdir is not the snapfs source tree"
MKREPO=$srcdir/tests/mkrepo.py

if [ -z "${SNAPFS:-}" ]; then
	if [ -n "${builddir:-}" ]; then
		SNAPFS=$builddir/src/snapfs
	else
		SNAPFS=${top_builddir:-.}/src/snapfs
	fi
fi
case $SNAPFS in
/*)	;;
*)	SNAPFS=$(pwd)/$SNAPFS ;;
esac

W=$(mktemp -d "${TMPDIR:-/tmp}/snapfs-$TEST_NAME.XXXXXX") ||
    fail "mktemp failed"
MNT=$W/mnt
SNAPFS_PID=
EXTRA_CLEANUP=		# more folders to remove on exit (scale.sh)
EXTRA_KILL=		# more processes to kill on exit
SAN_REPORT='runtime error:|ERROR: AddressSanitizer|LeakSanitizer'
BACKEND=${SNAPFS_BACKEND:-local}
RGW=			# the S3 server's folder, once s3_start ran
OWN_RGW=		# set when this test started that server itself
S3_BUCKETS=		# buckets to remove on exit
S3_SRC=			# the local location last copied to S3 ...
S3LOC=			# ... and where it went
RLOC=			# where mount_fs published last, on any remote
ROPTS=			# backend, and the options that mount it
BROKERTOOL=${BROKERTOOL:-$(dirname "$SNAPFS")/../tests/brokertool}
mkdir "$MNT"
: >"$W/log"

# pid_alive PID: running and not a zombie.
pid_alive()
{
	kill -0 "$1" 2>/dev/null || return 1
	if [ -r "/proc/$1/stat" ]; then
		case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) in
		Z*|X*)	return 1 ;;
		esac
	fi
	return 0
}

# wait_gone PID SECONDS WHAT: wait for process PID to end; fail with
# "WHAT still runs after SECONDS s" if it does not.
wait_gone()
{
	_wg=0
	while pid_alive "$1"; do
		[ $_wg -lt $(($2 * 10)) ] || fail "$3 still runs after $2 s"
		sleep 0.1
		_wg=$((_wg + 1))
	done
}

# Mount points below $W, deepest first (paths here contain no blanks).
lib_mounts()
{
	awk -v w="$W/" 'index($2, w) == 1 { print $2 }' /proc/mounts |
	    sort -r
}

lib_cleanup()
{
	_rc=$1
	trap - EXIT INT TERM HUP
	set +e
	for _m in $(lib_mounts); do
		fusermount3 -u "$_m" 2>/dev/null ||
		    fusermount3 -uz "$_m" 2>/dev/null ||
		    umount -l "$_m" 2>/dev/null
	done
	if [ -n "$SNAPFS_PID" ]; then
		_i=0
		while pid_alive "$SNAPFS_PID" && [ $_i -lt 100 ]; do
			[ $_i -eq 20 ] && kill -TERM "$SNAPFS_PID" 2>/dev/null
			sleep 0.05
			_i=$((_i + 1))
		done
		pid_alive "$SNAPFS_PID" && kill -KILL "$SNAPFS_PID" 2>/dev/null
		wait "$SNAPFS_PID" 2>/dev/null
	fi
	for _p in $EXTRA_KILL; do
		kill "$_p" 2>/dev/null
	done
	for _b in $S3_BUCKETS; do
		s3_aws s3 rb --force "s3://$_b" >/dev/null 2>&1
	done
	[ -n "$OWN_RGW" ] && sh "$srcdir/tests/s3/rgw.sh" stop "$OWN_RGW"
	if [ "$_rc" -ne 0 ] && [ -s "$W/log" ]; then
		echo "--- last lines of the daemon log ($W/log):" >&2
		tail -n 40 "$W/log" >&2
	fi
	# A daemon's stderr is a file in $W (UBSan reports there even with a
	# log_path): what a sanitizer said goes to this test's log, where
	# tests/run.sh looks for it, before $W goes.
	for _f in "$W"/*; do
		[ -f "$_f" ] && grep -aqE "$SAN_REPORT" "$_f" || continue
		echo "--- sanitizer report in $_f:" >&2
		grep -aE -A 30 "$SAN_REPORT" "$_f" | head -n 200 >&2
	done
	if [ -n "$(lib_mounts)" ]; then
		echo "$TEST_NAME: still mounted, not removing $W" >&2
	else
		rm -rf "$W"
	fi
	for _d in $EXTRA_CLEANUP; do
		rm -rf "$_d"
	done
	exit "$_rc"
}
trap 'lib_cleanup $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# mkrepo LOCATION [options]: add one snapshot (see tests/mkrepo.py).
mkrepo()
{
	python3 "$MKREPO" "$@" || fail "mkrepo.py $* failed"
}

# mount_fs LOCATION [options...]: start the daemon in the foreground on
# $MNT and wait until the mount is ready (at most 30 s).
mount_fs()
{
	[ $# -ge 1 ] || fail "mount_fs: no location"
	[ -x "$SNAPFS" ] ||
	    fail "snapfs not found at $SNAPFS (build it, or set SNAPFS)"
	mountpoint -q "$MNT" && fail "mount_fs: $MNT is already mounted"
	_loc=$1
	shift
	if [ "$BACKEND" = s3 ] && [ -d "$_loc" ]; then
		[ "$_loc" = "$S3_SRC" ] || s3_publish "$_loc"
		_loc=$S3LOC
		set -- $S3_OPTS "$@"
	elif [ "$BACKEND" = azure ] && [ -d "$_loc" ]; then
		[ "$_loc" = "$AZ_SRC" ] || az_publish "$_loc"
		_loc=$AZLOC
		set -- $AZ_OPTS "$@"
	fi
	echo "=== $SNAPFS -f $_loc $MNT $*" >>"$W/log"
	${SNAPFS_WRAPPER:-} "$SNAPFS" -f "$_loc" "$MNT" "$@" >>"$W/log" 2>&1 &
	SNAPFS_PID=$!
	_deadline=$(($(date +%s) + 30))
	while ! mountpoint -q "$MNT"; do
		if ! pid_alive "$SNAPFS_PID"; then
			_st=0
			wait "$SNAPFS_PID" || _st=$?
			SNAPFS_PID=
			fail "snapfs exited with status $_st before the mount" \
			    "was ready: $(tail -n 5 "$W/log")"
		fi
		[ "$(date +%s)" -le "$_deadline" ] ||
		    fail "mount of $_loc not ready after 30 s"
		sleep 0.05
	done
}

# umount_fs: unmount $MNT and check that the daemon exits with status 0.
umount_fs()
{
	mountpoint -q "$MNT" || fail "umount_fs: $MNT is not mounted"
	fusermount3 -u "$MNT" || fail "fusermount3 -u $MNT failed"
	[ -n "$SNAPFS_PID" ] || return 0
	_deadline=$(($(date +%s) + 30))
	while pid_alive "$SNAPFS_PID"; do
		[ "$(date +%s)" -le "$_deadline" ] ||
		    fail "snapfs still running 30 s after unmount"
		sleep 0.05
	done
	_st=0
	wait "$SNAPFS_PID" || _st=$?
	SNAPFS_PID=
	[ "$_st" -eq 0 ] || fail "snapfs exited with status $_st after unmount"
}

# kill_fs: kill -9 the daemon and clear its mount with fusermount3 -u.
kill_fs()
{
	kill -KILL "$SNAPFS_PID"
	wait "$SNAPFS_PID" 2>/dev/null || :
	SNAPFS_PID=
	fusermount3 -u "$MNT" || fail "fusermount3 -u after kill -9 failed"
	mountpoint -q "$MNT" && fail "still mounted after kill -9"
	return 0
}

# location_keys LOC: every object key of LOC (or of where it was published
# on a remote backend), sorted, one a line.
location_keys()
{
	if [ "$BACKEND" = local ]; then
		"$BROKERTOOL" "$1" ls -r
	else
		"$BROKERTOOL" $ROPTS "$RLOC" ls -r
	fi | cut -f 1 | sort
}

# daemon_rss_peak_kib: VmHWM of the running daemon.
daemon_rss_peak_kib()
{
	[ -n "$SNAPFS_PID" ] || fail "no daemon running"
	awk '/^VmHWM:/ { print $2 }' "/proc/$SNAPFS_PID/status"
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq()
{
	[ "$1" = "$2" ] ||
	    fail "$3: got '$1', expected '$2'"
}

# assert_text FILE WHAT: FILE's content must equal stdin, byte for byte.
assert_text()
{
	cat >"$W/expected.txt"
	if ! cmp -s "$1" "$W/expected.txt"; then
		diff -u "$W/expected.txt" "$1" >&2 || :
		fail "$2: $1 differs from the expected text (diff above)"
	fi
}

# assert_list WHAT COMMAND...: the command's output must equal stdin.
assert_list()
{
	_what=$1
	shift
	"$@" >"$W/actual.txt" 2>"$W/actual.err" ||
	    fail "$_what: '$*' failed: $(cat "$W/actual.err")"
	assert_text "$W/actual.txt" "$_what"
}

# assert_fails_erofs WHAT COMMAND...: the command must fail, with
# "Read-only file system" or "Permission denied".
assert_fails_erofs()
{
	_what=$1
	shift
	if "$@" >"$W/err.txt" 2>&1; then
		fail "$_what: '$*' succeeded on a read-only mount"
	fi
	grep -q -e 'Read-only file system' -e 'Permission denied' \
	    "$W/err.txt" ||
	    fail "$_what: '$*' failed with '$(cat "$W/err.txt")'," \
	    "not EROFS/EACCES"
}

# repo_dir LOCATION REPO: the repository folder (palo or starrocks root).
repo_dir()
{
	for _r in "$1/__palo_repository_$2" "$1/__starrocks_repository_$2"; do
		[ -d "$_r" ] && { echo "$_r"; return 0; }
	done
	fail "no repository $2 in $1"
}

# info_file LOCATION REPO LABEL [TIMESTAMP]: the info object's path (the
# newest when several and no TIMESTAMP).
info_file()
{
	_d=$(repo_dir "$1" "$2")/__ss_$3
	_f=$(ls "$_d" | grep "^__info_${4:-}.*\.[0-9a-f]\{32\}\$" | tail -n 1)
	[ -n "$_f" ] || fail "no info file in $_d"
	echo "$_d/$_f"
}

# expect_tree INFOFILE: sorted paths the snapshot folder must hold.
expect_tree()
{
	python3 "$MKREPO" --expect-tree "$1" || fail "expect-tree $1"
}

# expect_files INFOFILE: "<path in snapshot folder> TAB <key in __ss_x>".
expect_files()
{
	python3 "$MKREPO" --expect-files "$1" || fail "expect-files $1"
}

# tree_of DIR: sorted relative listing, as expect_tree prints it.
tree_of()
{
	(cd "$1" && find . | sort)
}

# now: seconds since the epoch, with fractions.
now()
{
	date +%s.%N
}

# elapsed START: seconds since START (from now), 2 decimals.
elapsed()
{
	awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'
}

# --- S3 ---

# s3_start: find or start the S3 server; sets RGW, S3_ENDPOINT, S3_KEY,
# S3_SECRET, S3_OPTS and the AWS_* variables snapfs reads.
s3_start()
{
	[ -n "$RGW" ] && return 0
	if [ -n "${S3_RGW_DIR:-}" ]; then
		RGW=$S3_RGW_DIR
	else
		require_prog /usr/bin/aws radosgw
		RGW=$W/rgw
		OWN_RGW=$RGW
		sh "$srcdir/tests/s3/rgw.sh" start "$RGW" "$(free_port)" ||
		    fail "could not start radosgw"
	fi
	eval "$(sh "$srcdir/tests/s3/rgw.sh" env "$RGW")" ||
	    fail "no S3 server in $RGW"
	AWS_ACCESS_KEY_ID=$S3_KEY
	AWS_SECRET_ACCESS_KEY=$S3_SECRET
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	S3_OPTS="-o endpoint=$S3_ENDPOINT,path_style"
}

# free_port: a TCP port nothing listens on now.
free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# s3_aws ARGS...: Debian's aws CLI against the server.
s3_aws()
{
	sh "$srcdir/tests/s3/aws.sh" "$RGW" "$@"
}

# s3_bucket: a new bucket for this test, removed on exit, in BUCKET.
s3_bucket()
{
	s3_start
	BUCKET=snapfs-$TEST_NAME-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	BUCKET=$(echo "$BUCKET" | tr '_A-Z' '-a-z')
	s3_aws s3 mb "s3://$BUCKET" >/dev/null || fail "cannot create $BUCKET"
	S3_BUCKETS="$S3_BUCKETS $BUCKET"
}

# s3_publish LOC: copy the location LOC into a new bucket with the aws
# CLI, as s3://BUCKET/loc (in S3LOC); then give the local files the times
# S3 gave the objects, so that tests compare sizes and times the same way
# on both backends.
s3_publish()
{
	[ -n "$S3_BUCKETS" ] && [ -z "$S3_SRC" ] || s3_bucket
	s3_aws s3 cp --recursive "$1" "s3://$BUCKET/loc/" >"$W/aws.txt" 2>&1 ||
	    fail "aws s3 cp of $1 failed: $(tail -n 3 "$W/aws.txt")"
	S3_SRC=$1
	S3LOC=s3://$BUCKET/loc
	RLOC=$S3LOC ROPTS=$S3_OPTS
	"$BROKERTOOL" -o "endpoint=$S3_ENDPOINT,path_style" "$S3LOC" ls -r \
	    >"$W/objects.txt" || fail "cannot list $S3LOC"
	python3 -c '
import os, sys
root = sys.argv[1]
for line in open(sys.argv[2], encoding="utf-8", errors="surrogateescape"):
    key, size, mtime = line.rstrip("\n").rsplit("\t", 2)
    os.utime(os.path.join(root, key), (int(mtime), int(mtime)))
' "$1" "$W/objects.txt" || fail "cannot set the times of $1"
}

# writable_location: an empty location of the backend under test for
# brokertool, in STORE, with its options in STORE_OPTS.
writable_location()
{
	if [ "$BACKEND" = s3 ]; then
		s3_bucket
		STORE=s3://$BUCKET/store
		STORE_OPTS=$S3_OPTS
	elif [ "$BACKEND" = azure ]; then
		az_container
		STORE=https://$AZURE_ACCOUNT.blob.core.windows.net/$CONTAINER/store
		STORE_OPTS=$AZ_OPTS
	else
		STORE=$W/store
		STORE_OPTS=
		mkdir -p "$STORE"
	fi
}

# --- refusals at start ---

# start_fails WHAT LINES [VAR=VALUE...] ARGS...: snapfs ARGS, with those
# variables in its environment, must exit non-zero within 30 s and mount
# nothing, with LINES (one, or some) on stderr; they are left in
# $W/err.txt and added to $W/refusals.
start_fails()
{
	_what=$1 _lines=$2
	shift 2
	_st=0
	(
		while [ $# -gt 0 ]; do
			_name=${1%%=*}
			case $_name in
			"$1" | '' | [0-9]* | *[!A-Za-z0-9_]*) break ;;
			esac
			export "$1"
			shift
		done
		exec timeout -k 5 30 "$SNAPFS" "$@"
	) >"$W/out.txt" 2>"$W/err.all" || _st=$?
	[ "$_st" -ne 0 ] || fail "$_what: snapfs $* exited 0"
	[ "$_st" -ne 124 ] && [ "$_st" -ne 137 ] ||
	    fail "$_what: snapfs $* did not exit within 30 s"
	[ -n "$(lib_mounts)" ] && fail "$_what: something is mounted: $(lib_mounts)"
	# Drop libfuse 3.14.0's harmless start-up notice, if any.
	grep -v 'Ignoring invalid max threads value' "$W/err.all" \
	    >"$W/err.txt" || :
	cat "$W/err.txt" >>"$W/refusals"
	_n=$(wc -l <"$W/err.txt")
	case $_lines in
	one)	[ "$_n" -eq 1 ] ||
		    fail "$_what: $_n lines on stderr, not one: $(cat "$W/err.txt")" ;;
	some)	[ "$_n" -ge 1 ] || fail "$_what: nothing on stderr" ;;
	esac
	note "$_what: exit $_st: $(head -n 1 "$W/err.txt")"
}

# refused PATTERN [VAR=VALUE...] ARGS...: start_fails with one line on
# stderr, which matches PATTERN (grep).
refused()
{
	_pat=$1
	shift
	start_fails "snapfs $*" one "$@"
	grep -q -- "$_pat" "$W/err.txt" ||
	    fail "snapfs $*: not \"$_pat\": $(cat "$W/err.txt")"
}

# --- jobs ---

# data_file ROOT DB TABLE PARTITION TABLET NAME SIZE: a file of random
# bytes in a data root.
data_file()
{
	mkdir -p "$1/$2/$3/$4/$5"
	head -c "$7" /dev/urandom >"$1/$2/$3/$4/$5/$6"
}

# ctl_refused FILE LINE WHY: writing LINE to ctl/FILE must fail, and
# ctl/last_error must say WHY.
ctl_refused()
{
	if echo "$2" >"$MNT/ctl/$1" 2>"$W/err"; then
		fail "'$2' was accepted by ctl/$1"
	fi
	grep -q -- "$3" "$MNT/ctl/last_error" ||
	    fail "'$2': last_error is '$(cat "$MNT/ctl/last_error")'"
}

# job_run FILE LINE: write LINE to ctl/FILE, wait for the job it started
# to end FINISHED, and print its id.
job_run()
{
	echo "$2" >"$MNT/ctl/$1" ||
	    fail "$1 '$2' refused: $(cat "$MNT/ctl/last_error")"
	_id=$(ls "$MNT/jobs" | sort -n | tail -n 1)
	assert_eq "$(job_end "$_id")" FINISHED "$1 '$2'"
	echo "$_id"
}

# job_state ID: the state of job ID, or nothing.
job_state()
{
	cat "$MNT/jobs/$1/state" 2>/dev/null || :
}

# job_wait ID STATE: until job ID is in STATE; it must not end in another
# state first, nor take more than 120 s.
job_wait()
{
	_deadline=$(($(date +%s) + 120))
	while :; do
		_s=$(job_state "$1")
		[ "$_s" = "$2" ] && return 0
		case $_s in
		FINISHED|CANCELLED)
			fail "job $1 ended $_s, not $2: $(cat "$MNT/jobs/$1/job.txt")" ;;
		esac
		[ "$(date +%s)" -le "$_deadline" ] ||
		    fail "job $1 is still ${_s:-unknown}, not $2, after 120 s"
		sleep 0.02
	done
}

# job_end ID: until job ID ends; prints FINISHED or CANCELLED.
job_end()
{
	_deadline=$(($(date +%s) + 120))
	while :; do
		_s=$(job_state "$1")
		case $_s in
		FINISHED|CANCELLED)	echo "$_s"; return 0 ;;
		esac
		[ "$(date +%s)" -le "$_deadline" ] ||
		    fail "job $1 is still ${_s:-unknown} after 120 s"
		sleep 0.05
	done
}

# --- faults ---

# fault_start: a fault proxy (tests/s3/faultproxy.py) in front of the
# server of the backend (S3 unless it is azure), passing everything;
# FAULT_OPTS are the options that mount through it.  fault_set LINE changes
# what it does; fault_count tells how many faults it made.
fault_start()
{
	if [ "$BACKEND" = azure ]; then
		az_start
		_target=${AZURE_ENDPOINT##*:}
		_target=${_target%%/*}
	else
		s3_start
		_target=${S3_ENDPOINT##*:}
	fi
	FAULT_PORT=$(free_port)
	FAULT_CTL=$W/fault.ctl
	: >"$FAULT_CTL"
	python3 "$srcdir/tests/s3/faultproxy.py" "$FAULT_PORT" "$_target" \
	    "$FAULT_CTL" >"$W/fault.out" 2>&1 &
	FAULT_PID=$!
	EXTRA_KILL="$EXTRA_KILL $FAULT_PID"
	until grep -q ready "$W/fault.out" 2>/dev/null; do
		pid_alive "$FAULT_PID" ||
		    fail "fault proxy did not start: $(cat "$W/fault.out")"
		sleep 0.05
	done
	if [ "$BACKEND" = azure ]; then
		FAULT_OPTS="-o endpoint=http://127.0.0.1:$FAULT_PORT/$AZURE_ACCOUNT"
	else
		FAULT_OPTS="-o endpoint=http://127.0.0.1:$FAULT_PORT,path_style"
	fi
}

fault_set()
{
	echo "$*" >"$FAULT_CTL.new"
	mv "$FAULT_CTL.new" "$FAULT_CTL"
	sleep 0.2	# the proxy looks every 50 ms
}

fault_count()
{
	grep -c '^fault' "$W/fault.out" || :
}

# no_d_state PID...: none of the threads of these processes sleeps
# uninterruptibly.
no_d_state()
{
	for _p in "$@"; do
		for _s in /proc/"$_p"/task/*/stat; do
			[ -r "$_s" ] || continue
			case $(sed 's/.*) //' "$_s" 2>/dev/null) in
			D*)	fail "process $_p hangs in D state ($_s)" ;;
			esac
		done
	done
}

# --- Azure ---

AZ=			# the Azurite folder, once az_start ran
OWN_AZ=			# set when this test started that server itself
AZ_CONTAINERS=		# containers to remove on exit
AZ_SRC=			# the local location last copied to Azure ...
AZLOC=			# ... and where it went
AZ_OPTS=		# the snapfs options that reach the server

# az_start: find or start Azurite; sets AZ, AZURE_ENDPOINT, AZURE_ACCOUNT,
# AZURE_KEY, AZURE_CONNECTION_STRING, AZ_OPTS and the AZURE_STORAGE_*
# variables snapfs reads, and sets the az CLI up for the test.  AZURE_DIR
# names a server already started for the whole run (tests/azure/azurite.sh
# start); without it the test starts its own in $W/azurite.
#
# The exit trap becomes az_exit: lib_cleanup's rm -rf of $W must come after
# Azurite has stopped (it writes its database when it closes, and a file
# made during the rm -rf leaves $W behind), and EXTRA_KILL does not wait;
# lib_cleanup has no place for the containers of a shared server either.
az_start()
{
	[ -n "$AZ" ] && return 0
	require_prog /usr/bin/az curl
	trap 'az_exit $?' EXIT
	if [ -n "${AZURE_DIR:-}" ]; then
		AZ=$AZURE_DIR
	else
		AZ=$W/azurite
		OWN_AZ=$AZ
		sh "$srcdir/tests/azure/azurite.sh" start "$AZ" "$(free_port)" ||
		    fail "could not start azurite"
	fi
	eval "$(sh "$srcdir/tests/azure/azurite.sh" env "$AZ")" ||
	    fail "no azurite in $AZ"
	# snapfs takes a connection string or a SAS token before the account
	# key: only the key, so that the endpoint is the one of -o endpoint.
	unset AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_SAS_TOKEN
	AZURE_STORAGE_ACCOUNT=$AZURE_ACCOUNT
	AZURE_STORAGE_KEY=$AZURE_KEY
	export AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY
	AZ_OPTS="-o endpoint=$AZURE_ENDPOINT"
	# The az CLI: its own configuration in $W (nothing in ~ is read or
	# written), no telemetry (it would try to send it at every call), no
	# warnings, colours or survey notices mixed with what tests parse.
	AZURE_CONFIG_DIR=$W/az-config
	AZURE_CORE_COLLECT_TELEMETRY=false
	AZURE_CORE_ONLY_SHOW_ERRORS=true
	AZURE_CORE_NO_COLOR=true
	AZURE_CORE_SURVEY_MESSAGE=false
	export AZURE_CONFIG_DIR AZURE_CORE_COLLECT_TELEMETRY \
	    AZURE_CORE_ONLY_SHOW_ERRORS AZURE_CORE_NO_COLOR \
	    AZURE_CORE_SURVEY_MESSAGE
}

# az_exit STATUS: the exit trap once az_start ran: remove this test's
# containers (or stop its own server, which takes them along), then
# lib_cleanup.  Nothing here may fail: lib_cleanup must run.
az_exit()
{
	_az_rc=$1
	set +e
	if [ -n "$OWN_AZ" ]; then
		sh "$srcdir/tests/azure/azurite.sh" stop "$OWN_AZ"
	else
		for _c in $AZ_CONTAINERS; do
			az_storage container delete -n "$_c" >/dev/null 2>&1
		done
	fi
	lib_cleanup "$_az_rc"
}

# az_storage ARGS...: Debian's az CLI, "az storage ARGS", against the
# server.  /usr/bin/az on purpose, as /usr/bin/aws for S3.
az_storage()
{
	/usr/bin/az storage "$@" --connection-string "$AZURE_CONNECTION_STRING"
}

# az_container: a new container for this test, removed on exit, in
# CONTAINER.  Container names are 3 to 63 of [a-z0-9-], without "--".
az_container()
{
	az_start
	_n=$(printf %s "$TEST_NAME" | tr '_A-Z' '-a-z' | tr -cd 'a-z0-9-' |
	    cut -c1-40)
	CONTAINER=$(printf %s "snapfs-$_n-$(od -An -N4 -tx4 /dev/urandom |
	    tr -d ' ')" | tr -s '-')
	az_storage container create -n "$CONTAINER" --fail-on-exist -o none \
	    >"$W/az.txt" 2>&1 ||
	    fail "cannot create the container $CONTAINER:" \
	    "$(tail -n 3 "$W/az.txt")"
	AZ_CONTAINERS="$AZ_CONTAINERS $CONTAINER"
}

# az_publish LOC: copy the location LOC into a new container with the az
# CLI, under loc/; AZLOC is then the location snapfs takes for it (with
# AZ_OPTS).  Checks that every file became the blob of the same name; then
# gives the local files the times Azure gave the blobs, so that tests
# compare sizes and times the same way on every backend.
az_publish()
{
	[ -n "$AZ_CONTAINERS" ] && [ -z "$AZ_SRC" ] || az_container
	az_storage blob upload-batch -d "$CONTAINER" --destination-path loc \
	    -s "$1" --no-progress -o none >"$W/az.txt" 2>&1 ||
	    fail "az storage blob upload-batch of $1 failed:" \
	    "$(tail -n 3 "$W/az.txt")"
	AZ_SRC=$1
	AZLOC=https://$AZURE_ACCOUNT.blob.core.windows.net/$CONTAINER/loc
	RLOC=$AZLOC ROPTS=$AZ_OPTS
	az_storage blob list -c "$CONTAINER" --prefix loc/ --num-results '*' \
	    -o json --query '[].[name, properties.lastModified]' \
	    >"$W/blobs.json" 2>"$W/az.txt" ||
	    fail "cannot list $AZLOC: $(tail -n 3 "$W/az.txt")"
	python3 -c '
import datetime, json, os, sys
root, listing = sys.argv[1], sys.argv[2]
blobs = {}
for name, mtime in json.load(open(listing, encoding="utf-8")):
    t = datetime.datetime.fromisoformat(mtime).timestamp()
    blobs[name[len("loc/"):]] = t
files = set()
for d, _, names in os.walk(root):
    for n in names:
        files.add(os.path.relpath(os.path.join(d, n), root))
for what, names in (("files with no blob", files - set(blobs)),
                    ("blobs with no file", set(blobs) - files)):
    if names:
        sys.exit("%s (%d): %s" % (what, len(names), sorted(names)[:5]))
for key, t in blobs.items():
    os.utime(os.path.join(root, key), (t, t))
' "$1" "$W/blobs.json" || fail "az_publish: cannot set the times of $1"
}
