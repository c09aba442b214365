#!/bin/sh
# A real S3 server for the tests: single-node Ceph (1 mon + 1 OSD on
# memstore) and radosgw on 127.0.0.1, with every file under one folder.
#
#   sh rgw.sh start DIR [PORT]   start it (PORT defaults to 7480); quiet
#                                unless something fails
#   sh rgw.sh env DIR            print S3_ENDPOINT=... S3_KEY=... S3_SECRET=...
#                                S3_REGION=us-east-1, for eval
#   sh rgw.sh stop DIR           kill the daemons and remove DIR; fine if
#                                already stopped
#
# The S3 user's access key and secret come from S3_KEY and S3_SECRET
# (default TESTKEY / TESTSECRET).  The mon port is the first free one of
# S3_MON_PORT (default 6789) and the 10 after it.  S3_RGW_STORE=bluestore
# keeps the objects in a sparse file DIR/block.img instead of the OSD's
# memory (for gigabytes of data: bench/run.sh).  Needs the packages of deps.sh.
# The daemons get "-c DIR/ceph.conf" on their command line, which is how
# stale pid files and leftover daemons of an earlier run are recognised.
set -u

me=rgw.sh
DEADLINE_S=120		# for the whole start
STOP_GRACE_S=5		# SIGTERM to SIGKILL

die() { echo "$me: $*" >&2; exit 1; }
usage() {
	echo "usage: sh $me start DIR [PORT] | stop DIR | env DIR" >&2
	exit 2
}

# The absolute, symlink-free form of $1, which need not exist.
abspath() {
	if [ -d "$1" ]; then
		(cd "$1" && pwd -P)
	else
		if _p=$(cd "$(dirname "$1")" 2>/dev/null && pwd -P); then
			echo "${_p%/}/$(basename "$1")"
		else
			case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac
		fi
	fi
}

# Shell-quote $1 only when it needs it.
shq() {
	case $1 in
	'' | *[!A-Za-z0-9_./:@%+=,-]*)
		printf "'%s'" "$(printf %s "$1" | sed "s/'/'\\\\''/g")" ;;
	*)	printf %s "$1" ;;
	esac
}

now() { date +%s; }
left() {
	_l=$((deadline - $(now)))
	[ "$_l" -gt 0 ] || _l=1
	echo "$_l"
}

# Is $1 a live process (zombies count as gone: PID 1 here reaps late)?
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# Is $1 one of ours, i.e. has "DIR/ceph.conf" as an argument?
ours() {
	[ -r "/proc/$1/cmdline" ] &&
	    { tr '\0' '\n' <"/proc/$1/cmdline"; } 2>/dev/null |
	    grep -qxF -- "$D/ceph.conf"
}

# The pids of our live daemons and tools: the pid files, checked (a pid can
# have been reused since), and a scan of /proc for the daemons whose pid
# file is gone.
our_pids() {
	{
		for f in "$D"/run/*.pid; do
			[ -f "$f" ] && { read -r p <"$f"; } 2>/dev/null &&
			    case $p in *[!0-9]* | '') ;; *) echo "$p" ;; esac
		done
		for p in /proc/[0-9]*; do
			{ read -r c <"$p/comm"; } 2>/dev/null || continue
			case $c in
			ceph-mon | ceph-osd | radosgw | radosgw-admin | ceph)
				echo "${p#/proc/}" ;;
			esac
		done
	} | sort -un | while read -r p; do
		[ "$p" -ne $$ ] && alive "$p" && ours "$p" && echo "$p"
	done
}

# Send $1 to the pids $2.. and wait until they are gone, with SIGKILL
# after STOP_GRACE_S.
kill_wait() {
	_sig=$1
	shift
	[ $# -gt 0 ] || return 0
	kill -"$_sig" "$@" 2>/dev/null
	_t=$(($(now) + STOP_GRACE_S))
	while :; do
		_rest=
		for _p in "$@"; do alive "$_p" && _rest="$_rest $_p"; done
		[ -z "$_rest" ] && return 0
		if [ "$(now)" -ge "$_t" ]; then
			[ "$_sig" = KILL ] && {
				echo "$me: could not kill:$_rest" >&2
				return 1
			}
			_sig=KILL
			_t=$(($(now) + STOP_GRACE_S))
			kill -KILL $_rest 2>/dev/null
		fi
		sleep 0.05
	done
}

# Kill everything of ours and wait until it is gone.  radosgw and the
# tools go first, while the cluster still answers (radosgw hangs in its
# shutdown otherwise).  All state is thrown away, so the OSD then gets
# SIGKILL: on SIGTERM, memstore would first write all its data to disk.
kill_all() {
	_front= _osd= _mon=
	for _p in $(our_pids); do
		{ read -r _c <"/proc/$_p/comm"; } 2>/dev/null || continue
		case $_c in
		ceph-osd) _osd="$_osd $_p" ;;
		ceph-mon) _mon="$_mon $_p" ;;
		*) _front="$_front $_p" ;;
		esac
	done
	kill_wait TERM $_front && kill_wait KILL $_osd && kill_wait TERM $_mon
}

# Is a TCP port listened on (any address, IPv4 or IPv6)?
listened() {
	_hex=$(printf %04X "$1")
	awk -v port="$_hex" 'FNR > 1 && $4 == "0A" { n = split($2, a, ":");
	    if (a[n] == port) found = 1 } END { exit !found }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Remove DIR, but only if it is an rgw folder (or empty): it is rm -rf.
wipe() {
	[ -e "$D" ] || return 0
	if [ -f "$D/.rgw.sh" ] || [ -z "$(ls -A "$D" 2>/dev/null)" ]; then
		rm -rf "$D"
	else
		die "$D is not empty and was not made by $me; not removing it"
	fi
}

tails() {
	for f in "$D"/log/setup.log "$D"/log/mon.a.log "$D"/log/osd.0.log \
	    "$D"/log/client.rgw.a.log; do
		[ -s "$f" ] || continue
		echo "==> $f (last 25 lines) <=="
		tail -n 25 "$f"
	done >&2
}

fail() {
	echo "$me: start failed: $*" >&2
	tails
	kill_all
	exit 1
}

# Run a setup command with the rest of the deadline, its output in the log.
# The daemons keep the descriptors they inherit: give them none of the
# caller's (a pipe held open would hang a "$(...)" or "| tee" around us).
run1() {
	echo "+ $(date +%T.%N) $*" >>"$D/log/setup.log"
	timeout -k 2 "$(left)" "$@" </dev/null >>"$D/log/setup.log" 2>&1 \
	    3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}
run() {
	run1 "$@" || fail "$* (exit $?)"
}

# The same for an idempotent command, tried up to 5 times.  Ceph's clients
# can send a mon command before they have the monmap, with fsid 0; the mon
# refuses it ("Error EPERM: problem getting command descriptions from
# mon", "handle_command on fsid 0000..." in its log).  It happens in about
# 1 start out of 10, more under load.
run_retry() {
	_n=1
	while :; do
		run1 "$@" && return 0
		_rc=$?
		[ "$_n" -lt 5 ] && [ "$(now)" -lt "$deadline" ] ||
		    fail "$* (exit $_rc, $_n tries)"
		_n=$((_n + 1))
		sleep 0.2
	done
}

# Create the S3 user; when it exists already (a retry), check its key.
USER_CREATE='
radosgw-admin -c "$1" user create --uid tester --display-name tester \
    --access-key "$2" --secret-key "$3" >/dev/null ||
radosgw-admin -c "$1" user info --uid tester |
    grep -qF "\"access_key\": \"$2\""'

# Let the user get temporary credentials: GetSessionToken needs the
# user-policy cap (to read the user's policies) and a policy allowing it;
# s3:* keeps the temporary credentials as able as the user's own keys.
# Both steps overwrite what a try before may have done.
STS_POLICY='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'\
'"Action":["sts:GetSessionToken","s3:*"],"Resource":["*"]}]}'
STS_ENABLE='
radosgw-admin -c "$1" caps add --uid tester --caps "user-policy=*" \
    >/dev/null &&
curl -sS --fail --max-time 10 --aws-sigv4 "aws:amz:us-east-1:iam" \
    --user "$2:$3" --data-urlencode "Action=PutUserPolicy" \
    --data-urlencode "UserName=tester" \
    --data-urlencode "PolicyName=snapfs" \
    --data-urlencode "PolicyDocument=$5" "http://127.0.0.1:$4/"'

# One signed S3 request (ListBuckets); prints the HTTP status.
s3_status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" \
	    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
	    "http://127.0.0.1:$PORT/" 2>/dev/null
}

pidof_daemon() {
	{ read -r _p <"$D/run/$1.pid"; } 2>/dev/null && echo "$_p"
}

# Wait until $1 (a shell condition) is true; fail if a daemon died.
wait_for() {
	while ! eval "$1"; do
		for _d in mon.a osd.0 client.rgw.a; do
			# (no pid file yet is fine: the deadline covers it)
			_p=$(pidof_daemon "$_d") || continue
			alive "$_p" || fail "$_d exited"
		done
		[ "$(now)" -lt "$deadline" ] ||
		    fail "timed out after ${DEADLINE_S}s waiting for $2"
		sleep 0.1
	done
}

# The OSD's object store: memstore, or bluestore with S3_RGW_STORE=bluestore.
store_conf() {
	case ${S3_RGW_STORE:-memstore} in
	memstore)
		printf '%s\n' "osd objectstore = memstore" \
		    "memstore device bytes = 8589934592" ;;
	bluestore)
		# The block file must be outside "osd data".
		printf '%s\n' "osd objectstore = bluestore" \
		    "bluestore block path = $D/block.img" \
		    "bluestore block create = true" \
		    "bluestore block size = 21474836480" \
		    "bluestore fsck on mount = false" \
		    "bluestore cache size = 268435456" ;;
	*)	die "bad S3_RGW_STORE: $S3_RGW_STORE (memstore or bluestore)" ;;
	esac
}

start() {
	deadline=$(($(now) + DEADLINE_S))
	case $PORT in '' | *[!0-9]*) die "bad port: $PORT" ;; esac
	[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "bad port: $PORT"
	for c in ceph-mon ceph-osd radosgw radosgw-admin ceph curl timeout; do
		command -v "$c" >/dev/null 2>&1 ||
		    die "$c not found (run tests/s3/deps.sh as root)"
	done

	# Leftovers of an earlier run in the same DIR.
	kill_all || die "cannot stop the daemons left over in $D"
	wipe

	if listened "$PORT"; then
		who=$(ss -Hltnp "sport = :$PORT" 2>/dev/null | sed -n \
		    's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -n 1)
		die "port $PORT is already in use${who:+ (by $who)}; stop that" \
		    "or pass another port: sh $me start DIR PORT"
	fi
	mon_port=${S3_MON_PORT:-6789}
	case $mon_port in '' | *[!0-9]*) die "bad S3_MON_PORT: $mon_port" ;; esac
	while listened "$mon_port" || [ "$mon_port" -eq "$PORT" ]; do
		mon_port=$((mon_port + 1))
		[ "$mon_port" -le $((${S3_MON_PORT:-6789} + 10)) ] ||
		    die "no free port for the Ceph mon in" \
		    "${S3_MON_PORT:-6789}-$((${S3_MON_PORT:-6789} + 10))"
	done

	mkdir -p "$D/mon" "$D/osd" "$D/run" "$D/log" || die "cannot create $D"
	: >"$D/.rgw.sh"

	cat >"$D/ceph.conf" <<EOF
[global]
fsid = $(cat /proc/sys/kernel/random/uuid)
mon host = v1:127.0.0.1:$mon_port
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
client mount timeout = 60
ms bind msgr2 = false
ms bind retry delay = 1
[mon.a]
# Without it the mon binds the default ports (3300 and 6789), whatever
# "mon host" says, and a second instance cannot start.
public addr = v1:127.0.0.1:$mon_port
mon data = $D/mon
mon data avail crit = 0
mon allow pool delete = true
# Every osdmap change (OSD boot, each pool radosgw creates) waits for the
# next paxos proposal, 1 s apart by default: 10 s of a cold start.
paxos propose interval = 0.05
paxos min wait = 0.01
[osd.0]
osd data = $D/osd
$(store_conf)
osd class load list = *
osd class default list = *
# The OSD is put in the CRUSH map by start.  Left on, these two make the
# OSD send a mon command at init, which can race with its first monmap
# and fail ("wrong fsid": the command carries fsid 0), killing the OSD.
osd crush update on start = false
osd class update on start = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw dns name = localhost
rgw thread pool size = 64
# STS (GetSessionToken), for the tests of temporary credentials: the key
# encrypts the session tokens and must be 16 characters; the second line
# makes S3 accept requests signed with them.
rgw sts key = snapfstestsdummy
rgw s3 auth use sts = true
EOF
	{
		echo "PORT=$PORT"
		echo "S3_ENDPOINT=http://127.0.0.1:$PORT"
		echo "S3_KEY=$(shq "$KEY")"
		echo "S3_SECRET=$(shq "$SECRET")"
		echo "S3_REGION=us-east-1"
	} >"$D/s3.env"
	# For aws.sh: path-style addressing, and no ~/.aws settings.
	printf '[default]\ns3 =\n    addressing_style = path\n' >"$D/aws.config"

	export CEPH_CONF="$D/ceph.conf"
	unset CEPH_ARGS

	run ceph-mon -c "$D/ceph.conf" --id a --mkfs --keyring /dev/null
	: >"$D/mon/keyring"
	run ceph-mon -c "$D/ceph.conf" --id a
	osd_uuid=$(cat /proc/sys/kernel/random/uuid)
	run_retry ceph -c "$D/ceph.conf" osd create "$osd_uuid" 0
	run_retry ceph -c "$D/ceph.conf" osd crush add osd.0 1 root=default \
	    host=localhost
	run ceph-osd -c "$D/ceph.conf" --id 0 --mkfs --osd-uuid "$osd_uuid"
	run ceph-osd -c "$D/ceph.conf" --id 0
	run radosgw -c "$D/ceph.conf" -n client.rgw.a
	# The frontend listens once radosgw has set its pools up; only then
	# may radosgw-admin touch the zone, or the two race.
	wait_for "listened $PORT" "radosgw to listen on $PORT"
	run_retry sh -c "$USER_CREATE" sh "$D/ceph.conf" "$KEY" "$SECRET"
	wait_for '[ "$(s3_status)" = 200 ]' \
	    "a signed S3 request to answer 200"
	# (after that wait: the user's own keys are known to work by then)
	run_retry sh -c "$STS_ENABLE" sh "$D/ceph.conf" "$KEY" "$SECRET" \
	    "$PORT" "$STS_POLICY"
}

[ $# -ge 2 ] || usage
cmd=$1
[ "$cmd" != start ] || mkdir -p "$2" || die "cannot create $2"
D=$(abspath "$2") || exit 1
case $D in /) die "refusing to use / as DIR" ;; esac
KEY=${S3_KEY:-TESTKEY}
SECRET=${S3_SECRET:-TESTSECRET}

case $cmd in
start)
	[ $# -le 3 ] || usage
	PORT=${3:-7480}
	start
	;;
stop)
	[ $# -eq 2 ] || usage
	kill_all || exit 1
	wipe
	;;
env)
	[ $# -eq 2 ] || usage
	[ -f "$D/s3.env" ] || die "$D: no rgw started there"
	(
		. "$D/s3.env"
		echo "S3_ENDPOINT=$(shq "$S3_ENDPOINT") S3_KEY=$(shq "$S3_KEY")" \
		    "S3_SECRET=$(shq "$S3_SECRET") S3_REGION=$(shq "$S3_REGION")"
	)
	;;
*)	usage ;;
esac
