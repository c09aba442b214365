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
# Its blobs are kept in its memory (--inMemoryPersistence): with its
# database on disk, which it writes out whole every few seconds, every
# request stalled for tens of seconds once it held some thousands of
# blobs.  Its console output is in DIR/azurite.log.  The server runs in
# DIR, which is how a leftover of an earlier run in the same DIR is
# recognised.
set -u

me=azurite.sh
DEADLINE_S=30		# for the whole start (it takes about 1 s)
STOP_GRACE_S=5		# SIGTERM to SIGKILL
ACCOUNT=devstoreaccount1
# Azurite's fixed key for devstoreaccount1 (public, documented by Microsoft).
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

COMMS=node
. "$(dirname "$0")/../server.sh"

usage() {
	echo "usage: sh $me start DIR [PORT] | stop DIR | env DIR" >&2
	exit 2
}

# Azurite closes its servers and database on TERM.
kill_all() {
	kill_wait TERM $(our_pids)
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
	GC_JS=$(abspath "$(dirname "$0")/azurite-gc.js")
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

	mkdir -p "$D/run" || die "cannot create $D"
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
	# azurite-gc.js: its garbage collector, which stops it for up to
	# minutes, does not run (see there).
	# setsid: the server must not get the Ctrl-C or the kill of the
	# process group that started it (it serves the whole run).  It keeps
	# no descriptor of ours: a pipe held open would hang a "$(...)" or
	# "| tee" around us.
	(cd "$D" && exec setsid node --require "$GC_JS" "$BLOB" \
	    --blobHost 127.0.0.1 \
	    --blobPort "$PORT" --inMemoryPersistence --silent --loose \
	    --skipApiVersionCheck --disableProductStyleUrl --disableTelemetry) \
	    </dev/null >>"$D/azurite.log" 2>&1 \
	    3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	pid=$!
	echo "$pid" >"$D/run/azurite.pid"
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
OURS_CWD=$D
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
