#!/bin/sh
# s3/faults.sh - network and HTTP faults from tests/s3/faultproxy.py
# between snapfs and the S3 server, through a real mount.  A fault that
# passes (a reset, a cut, HTTP 500, 503 SlowDown, a short body, an S3 error
# body, a slow server) is retried and the bytes read are right; a server
# that stays away makes reads fail with EIO and folder listings fail
# rather than come back empty, so rsync --delete never wipes a copy; no
# reader sleeps in D state; once the server is back, the same mount works
# at once (the first request while the endpoint is marked down is a probe);
# so does a tablet.txt whose header could not be fetched.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog rsync

s3_start
LOC=$W/loc
mkrepo "$LOC" --label snap_a --files-per-tablet 6
mkrepo "$LOC" --label snap_b
s3_publish "$LOC"
fault_start
mount_fs "$S3LOC" $FAULT_OPTS
RAW=$MNT/.raw
ls -R "$RAW" >/dev/null || fail "cannot list .raw"
# Tablet files, one per fault below, none read yet: in reverse order, so
# that opening them is no folder walk whose next files are read ahead.
find "$LOC/__palo_repository_repo1/__ss_snap_a" -name '*.dat.*' |
    sed "s|^$LOC/||" | sort -r >"$W/files"

# read_ok WHAT FILE: FILE reads through the mount with the right bytes.
read_ok()
{
	cmp "$RAW/$2" "$LOC/$2" >"$W/cmp.txt" 2>&1 ||
	    fail "$1: $(cat "$W/cmp.txt")"
}

# Faults that pass: each is met twice, then the retry gets through.
n=0
for f in "reset" "cut after=100" "cut after=3000" "stall after=0 count=1" \
    "delay ms=300" "500 match=GET" "503 match=GET" "short match=GET" \
    "s3error match=GET" "503 match=list-type"; do
	n=$((n + 1))
	file=$(sed -n "${n}p" "$W/files")
	case $f in
	*count=*)	fault_set "$f" ;;
	*)		fault_set "$f count=2" ;;
	esac
	before=$(fault_count)
	_t0=$(now)
	if [ "$f" = "503 match=list-type" ]; then
		# A listing of a folder not loaded yet, retried.
		ls "$MNT/repo1/snap_b" >/dev/null ||
		    fail "$f: listing snap_b failed"
	else
		read_ok "$f" "$file"
	fi
	note "$f: ok after $(($(fault_count) - before)) faults in $(elapsed "$_t0") s"
	[ "$(fault_count)" -gt "$before" ] || fail "$f: no fault was made"
done
fault_set pass

# A server that stays away: EIO, never empty folders.
snap=$(ls "$RAW/__palo_repository_repo1" | grep snap_b)
rsync -a "$MNT/repo1/snap_b/" "$W/copy/" || fail "rsync of snap_b failed"
(cd "$W/copy" && find . -type f | sort) >"$W/copy.list"
umount_fs
mount_fs "$S3LOC" $FAULT_OPTS
# A tablet of snap_a whose header nothing has fetched yet (find fetches
# none).
TT=$(find "$MNT/repo1/snap_a" -name tablet.txt | sort | tail -n 1)
[ -n "$TT" ] || fail "no tablet.txt in snap_a"
for f in "503" "garbage match=list-type" "s3error match=list-type" "refuse"; do
	fault_set "$f"
	if ls "$MNT/repo1/snap_b" >"$W/ls.txt" 2>"$W/ls.err"; then
		fail "$f: a folder listed: $(cat "$W/ls.txt")"
	fi
	grep -q "Input/output error" "$W/ls.err" ||
	    fail "$f: ls: $(cat "$W/ls.err")"
	if rsync -a --delete "$MNT/repo1/snap_b/" "$W/copy/" \
	    >"$W/rsync.txt" 2>&1; then
		fail "$f: rsync --delete from a dead server succeeded"
	fi
	(cd "$W/copy" && find . -type f | sort) >"$W/copy.now"
	cmp -s "$W/copy.list" "$W/copy.now" ||
	    fail "$f: rsync --delete changed the copy: $(diff "$W/copy.list" "$W/copy.now" | head -n 5)"
	# The folder stays unloaded: a read of an unread file fails too.
	n=$((n + 1))
	file=$(sed -n "${n}p" "$W/files")
	if [ "$f" != "${f#*list-type}" ]; then
		:
	elif cat "$RAW/$file" >/dev/null 2>"$W/cat.err"; then
		fail "$f: a read from a dead server succeeded"
	else
		grep -q "Input/output error" "$W/cat.err" ||
		    fail "$f: cat: $(cat "$W/cat.err")"
	fi
	mountpoint -q "$MNT" || fail "$f: the mount went away"
done

# A header that cannot be fetched: tablet.txt fails, and is not kept
# failed.
if cat "$TT" >/dev/null 2>"$W/cat.err"; then
	fail "tablet.txt read from a dead server"
fi
grep -q "Input/output error" "$W/cat.err" ||
    fail "tablet.txt from a dead server: $(cat "$W/cat.err")"

grep -q "HTTP 503 SlowDown: Please reduce" "$W/log" ||
    fail "the reason of the last 503 is not in the log"

# The server is back: the same mount lists and reads at once, though the
# endpoint is still marked down: its first request is the probe.
fault_set pass
_t0=$(now)
rsync -a --delete "$MNT/repo1/snap_b/" "$W/copy/" >"$W/rsync.txt" 2>&1 ||
    fail "rsync after the server came back: $(tail -n 3 "$W/rsync.txt")"
note "recovered in $(elapsed "$_t0") s"
(cd "$W/copy" && find . -type f | sort) >"$W/copy.now"
cmp -s "$W/copy.list" "$W/copy.now" || fail "the copy changed"
read_ok "after recovery" "$file"
grep -q '^Tablet: ' "$TT" || fail "tablet.txt after recovery: $(cat "$TT")"
grep -q -e "$S3_SECRET" "$W/log" && fail "the secret is in the log"
umount_fs
