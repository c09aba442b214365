# server.sh - what the scripts that run a test server share (s3/rgw.sh,
# azure/azurite.sh), sourced after they set:
#
#   me		the script's name, for messages and its mark DIR/.$me
#   D		the server's folder (set once the command line is read)
#   OURS_ARG	an argument that every process of the server has, or
#   OURS_CWD	the folder they all run in
#   COMMS	the process names (comm) of its processes, whose pid files
#		are D/run/*.pid
#   STOP_GRACE_S	seconds from SIGTERM to SIGKILL

die() { echo "$me: $*" >&2; exit 1; }

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

# Seconds left before $deadline, at least 1.
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

# Is $1 one of ours: has $OURS_ARG as an argument, or runs in $OURS_CWD?
ours() {
	if [ -n "${OURS_CWD:-}" ]; then
		[ "$(readlink "/proc/$1/cwd" 2>/dev/null)" = "$OURS_CWD" ]
	else
		[ -r "/proc/$1/cmdline" ] &&
		    { tr '\0' '\n' <"/proc/$1/cmdline"; } 2>/dev/null |
		    grep -qxF -- "$OURS_ARG"
	fi
}

# The pids of our live processes: the pid files, checked (a pid can have
# been reused since), and a scan of /proc for those whose pid file is gone.
our_pids() {
	{
		for _f in "$D"/run/*.pid; do
			[ -f "$_f" ] && { read -r _p <"$_f"; } 2>/dev/null &&
			    case $_p in *[!0-9]* | '') ;; *) echo "$_p" ;; esac
		done
		for _p in /proc/[0-9]*; do
			{ read -r _c <"$_p/comm"; } 2>/dev/null || continue
			case " $COMMS " in
			*" $_c "*) echo "${_p#/proc/}" ;;
			esac
		done
	} | sort -un | while read -r _p; do
		[ "$_p" -ne $$ ] && alive "$_p" && ours "$_p" && echo "$_p"
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

# Is a TCP port listened on (any address, IPv4 or IPv6)?
listened() {
	_hex=$(printf %04X "$1")
	awk -v port="$_hex" 'FNR > 1 && $4 == "0A" { n = split($2, a, ":");
	    if (a[n] == port) found = 1 } END { exit !found }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Remove D, but only if this script made it (or it is empty): it is rm -rf.
wipe() {
	[ -e "$D" ] || return 0
	if [ -f "$D/.$me" ] || [ -z "$(ls -A "$D" 2>/dev/null)" ]; then
		rm -rf "$D"
	else
		die "$D is not empty and was not made by $me; not removing it"
	fi
}
