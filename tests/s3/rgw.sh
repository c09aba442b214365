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

COMMS='ceph-mon ceph-osd radosgw radosgw-admin ceph'
. "$(dirname "$0")/../server.sh"

usage() {
	echo "usage: sh $me start DIR [PORT] | stop DIR | env DIR" >&2
	exit 2
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
# Without tcp_nodelay, a small answer on a kept connection waits for the
# client's delayed ACK of its headers: 40 ms a GET, which no real S3
# costs (2,000 tablet headers, 16 in flight: 5.6 s, with it 1.4 s).
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
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
OURS_ARG=$D/ceph.conf
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
