#!/bin/sh
# errors.sh - start failures: a missing location, a location that is a
# file, a missing mount point, a mount point that is a file, a bad option
# and bad arguments exit non-zero with one clear line on stderr (the
# usage text is allowed for bad arguments), quickly, and leave nothing
# mounted and no daemon behind; with and without -f.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog timeout

[ -x "$SNAPFS" ] || fail "snapfs not found at $SNAPFS (build it, or set SNAPFS)"
LOC=$W/loc
mkrepo "$LOC"
: >"$W/afile"

# start_fails WHAT LINES ARGS...: snapfs ARGS must fail within 30 s, print
# LINES ("one" or "some") lines on stderr, and leave nothing mounted.
start_fails()
{
	_what=$1
	_lines=$2
	shift 2
	_st=0
	timeout -k 5 30 "$SNAPFS" "$@" >"$W/out.txt" 2>"$W/err.txt" || _st=$?
	[ "$_st" -ne 0 ] || fail "$_what: snapfs $* exited 0"
	[ "$_st" -ne 124 ] && [ "$_st" -ne 137 ] ||
	    fail "$_what: snapfs $* did not exit within 30 s"
	[ -n "$(lib_mounts)" ] && fail "$_what: something is mounted: $(lib_mounts)"
	# Drop libfuse 3.14.0's harmless start-up notice, if any.
	grep -v 'Ignoring invalid max threads value' "$W/err.txt" \
	    >"$W/err2.txt" || :
	_n=$(wc -l <"$W/err2.txt")
	case $_lines in
	one)	[ "$_n" -eq 1 ] ||
		    fail "$_what: $_n lines on stderr, not one: $(cat "$W/err2.txt")" ;;
	some)	[ "$_n" -ge 1 ] || fail "$_what: nothing on stderr" ;;
	esac
	note "$_what: exit $_st: $(head -n 1 "$W/err2.txt")"
}

for fg in -f ""; do
	start_fails "missing location${fg:+ ($fg)}" one \
	    $fg "$W/no/such/location" "$MNT"
	start_fails "location is a file${fg:+ ($fg)}" one \
	    $fg "$W/afile" "$MNT"
	start_fails "location is a missing file:// path${fg:+ ($fg)}" one \
	    $fg "file://$W/no/such/location" "$MNT"
	start_fails "missing mount point${fg:+ ($fg)}" one \
	    $fg "$LOC" "$W/no/such/mnt"
	start_fails "mount point is a file${fg:+ ($fg)}" one \
	    $fg "$LOC" "$W/afile"
	start_fails "unknown -o option${fg:+ ($fg)}" some \
	    $fg -o no_such_option_xyz "$LOC" "$MNT"
	start_fails "unknown flag${fg:+ ($fg)}" some $fg --no-such-flag "$LOC" "$MNT"
	start_fails "no arguments${fg:+ ($fg)}" some $fg
	start_fails "no mount point${fg:+ ($fg)}" some $fg "$LOC"
	start_fails "too many arguments${fg:+ ($fg)}" some $fg "$LOC" "$MNT" "$W/x"
done
[ ! -e "$W/no" ] || fail "a failed start created $W/no"

# After all that, a good start still works on the same mount point.
mount_fs "$LOC"
[ -d "$MNT/repo1" ] || fail "repo1 missing after a good start"
umount_fs
