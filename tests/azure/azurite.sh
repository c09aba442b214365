#!/bin/sh
# A local Azure Blob Storage for the tests: Azurite's blob service only
# (no queue, no table) on 127.0.0.1, with everything under one folder.
#
#   sh azurite.sh start DIR [PORT]   start it (PORT defaults to 10000) and
#                                    wait until it answers; quiet unless
#                                    something fails
#   sh azurite.sh env DIR            print AZURE_ENDPOINT=... AZURE_ACCOUNT=...
#                                    AZURE_KEY=... AZURE_CONNECTION_STRING=...,
#                                    for eval (DIR/azure.env holds the same)
#   sh azurite.sh stop DIR           kill it and remove DIR; fine if already
#                                    stopped
#
# The account is Azurite's built-in devstoreaccount1 with its well-known
# key; the endpoint is path-style, http://127.0.0.1:PORT/devstoreaccount1.
# Azurite comes from tests/azure/deps.sh, in AZURITE_PREFIX (default
# /opt/snapfs-azurite); AZURITE_BLOB names another azurite-blob to run.
# Its blobs are in DIR/data, its console output in DIR/azurite.log.
# The server gets "--location DIR/data" on its command line, which is how a
# leftover of an earlier run in the same DIR is recognised.
set -u

me=azurite.sh
DEADLINE_S=30		# for the whole start (it takes about 1 s)
STOP_GRACE_S=5		# SIGTERM to SIGKILL
ACCOUNT=devstoreaccount1
# Azurite's fixed key for devstoreaccount1 (public, documented by Microsoft).
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

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

# Is $1 a live process (zombies count as gone: PID 1 here reaps late)?
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	_st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# Is $1 one of ours, i.e. has "DIR/data" as an argument?
ours() {
	[ -r "/proc/$1/cmdline" ] &&
	    { tr '\0' '\n' <"/proc/$1/cmdline"; } 2>/dev/null |
	    grep -qxF -- "$D/data"
}

# The pids of our live servers: the pid file, checked (the pid can have
# been reused since), and a scan of /proc for one whose pid file is gone.
our_pids() {
	{
		{ read -r _p <"$D/azurite.pid"; } 2>/dev/null &&
		    case $_p in *[!0-9]* | '') ;; *) echo "$_p" ;; esac
		for _p in /proc/[0-9]*; do
			{ read -r _c <"$_p/comm"; } 2>/dev/null || continue
			[ "$_c" = node ] && echo "${_p#/proc/}"
		done
	} | sort -un | while read -r _p; do
		[ "$_p" -ne $$ ] && alive "$_p" && ours "$_p" && echo "$_p"
	done
}

# Send TERM to the pids $@ and wait until they are gone, with SIGKILL
# after STOP_GRACE_S.  (Azurite closes its servers and database on TERM.)
kill_wait() {
	[ $# -gt 0 ] || return 0
	_sig=TERM
	kill -TERM "$@" 2>/dev/null
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

kill_all() {
	kill_wait $(our_pids)
}

# Is a TCP port listened on (any address, IPv4 or IPv6)?
listened() {
	_hex=$(printf %04X "$1")
	awk -v port="$_hex" 'FNR > 1 && $4 == "0A" { n = split($2, a, ":");
	    if (a[n] == port) found = 1 } END { exit !found }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Remove DIR, but only if it is an azurite folder (or empty): it is rm -rf.
wipe() {
	[ -e "$D" ] || return 0
	if [ -f "$D/.azurite.sh" ] || [ -z "$(ls -A "$D" 2>/dev/null)" ]; then
		rm -rf "$D"
	else
		die "$D is not empty and was not made by $me; not removing it"
	fi
}

fail() {
	echo "$me: start failed: $*" >&2
	if [ -s "$D/azurite.log" ]; then
		echo "==> $D/azurite.log (last 25 lines) <==" >&2
		tail -n 25 "$D/azurite.log" >&2
	fi
	kill_all
	exit 1
}

# Does Azurite answer on PORT?  An anonymous List Containers is refused
# (403, no credentials), but an answer that says "Azurite-Blob" means its
# database is loaded and it serves: it listens only after that.  The
# Server header also tells it apart from anything else on the port.
answers() {
	curl -s -o /dev/null -D - --max-time 2 \
	    "http://127.0.0.1:$PORT/$ACCOUNT?comp=list" 2>/dev/null |
	    grep -qi '^server: *azurite-blob'
}

start() {
	deadline=$(($(now) + DEADLINE_S))
	case $PORT in '' | *[!0-9]*) die "bad port: $PORT" ;; esac
	[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || die "bad port: $PORT"
	BLOB=${AZURITE_BLOB:-${AZURITE_PREFIX:-/opt/snapfs-azurite}/node_modules/.bin/azurite-blob}
	[ -f "$BLOB" ] ||
	    die "$BLOB not found (run tests/azure/deps.sh as root)"
	for c in node curl setsid; do
		command -v "$c" >/dev/null 2>&1 ||
		    die "$c not found (run tests/azure/deps.sh as root)"
	done

	# Leftovers of an earlier run in the same DIR.
	kill_all || die "cannot stop the azurite left over in $D"
	wipe

	if listened "$PORT"; then
		who=$(ss -Hltnp "sport = :$PORT" 2>/dev/null | sed -n \
		    's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -n 1)
		die "port $PORT is already in use${who:+ (by $who)}; stop that" \
		    "or pass another port: sh $me start DIR PORT"
	fi

	mkdir -p "$D/data" || die "cannot create $D"
	: >"$D/.azurite.sh"
	endpoint=http://127.0.0.1:$PORT/$ACCOUNT
	{
		echo "PORT=$PORT"
		echo "AZURE_ENDPOINT=$(shq "$endpoint")"
		echo "AZURE_ACCOUNT=$ACCOUNT"
		echo "AZURE_KEY=$(shq "$KEY")"
		echo "AZURE_CONNECTION_STRING=$(shq "DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=$endpoint;")"
	} >"$D/azure.env"

	# --disableTelemetry: Azurite 3.35 reports usage to Microsoft unless
	# told not to, and there is no network here for that anyway.
	# --skipApiVersionCheck: Azurite refuses an x-ms-version newer than it
	# knows; snapfs or a newer az may send one.  --loose: it would
	# refuse headers it does not implement instead of ignoring them, as
	# Azure does.  --disableProductStyleUrl: the account is always the
	# first path segment, whatever host name a client uses.
	# setsid: the server must not get the Ctrl-C or the kill of the
	# process group that started it (it serves the whole run).  It keeps
	# no descriptor of ours: a pipe held open would hang a "$(...)" or
	# "| tee" around us.
	setsid node "$BLOB" --blobHost 127.0.0.1 --blobPort "$PORT" \
	    --location "$D/data" --silent --loose --skipApiVersionCheck \
	    --disableProductStyleUrl --disableTelemetry \
	    </dev/null >>"$D/azurite.log" 2>&1 \
	    3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	pid=$!
	echo "$pid" >"$D/azurite.pid"
	while ! answers; do
		alive "$pid" || fail "azurite exited"
		[ "$(now)" -lt "$deadline" ] ||
		    fail "timed out after ${DEADLINE_S}s waiting for it to" \
		    "answer on $PORT"
		sleep 0.1
	done
}

[ $# -ge 2 ] || usage
cmd=$1
[ "$cmd" != start ] || mkdir -p "$2" || die "cannot create $2"
D=$(abspath "$2") || exit 1
case $D in /) die "refusing to use / as DIR" ;; esac

case $cmd in
start)
	[ $# -le 3 ] || usage
	PORT=${3:-10000}
	start
	;;
stop)
	[ $# -eq 2 ] || usage
	kill_all || exit 1
	wipe
	;;
env)
	[ $# -eq 2 ] || usage
	[ -f "$D/azure.env" ] || die "$D: no azurite started there"
	(
		. "$D/azure.env"
		echo "AZURE_ENDPOINT=$(shq "$AZURE_ENDPOINT")" \
		    "AZURE_ACCOUNT=$(shq "$AZURE_ACCOUNT")" \
		    "AZURE_KEY=$(shq "$AZURE_KEY")" \
		    "AZURE_CONNECTION_STRING=$(shq "$AZURE_CONNECTION_STRING")"
	)
	;;
*)	usage ;;
esac
