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
