#!/bin/sh
# s3/errors.sh - S3 start-up failures and secrets: a dead endpoint, a
# missing bucket, bad or missing credentials each fail at start with one
# line and leave nothing mounted; a credentials file with a profile works;
# the secret is in no log, no error and no file of the mount; a dead
# endpoint in the middle of a mount makes reads fail with EIO in bounded
# time, and the mount stays up.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

s3_start
s3_bucket
LOC=$W/loc
mkrepo "$LOC" --label snap_a --big 8000000
s3_publish "$LOC"

# start_fails WHAT EXPECTED-TEXT ARGS...: snapfs must exit non-zero with
# one line on stderr that contains the text, and mount nothing.
start_fails()
{
	_what=$1 _text=$2
	shift 2
	_t0=$(now)
	if "$SNAPFS" "$@" "$MNT" >"$W/out" 2>"$W/err"; then
		fusermount3 -u "$MNT" 2>/dev/null
		fail "$_what: snapfs started"
	fi
	note "$_what: failed in $(elapsed "$_t0") s: $(tail -n 1 "$W/err")"
	mountpoint -q "$MNT" && fail "$_what: something is mounted"
	tail -n 1 "$W/err" | grep -q -- "$_text" ||
	    fail "$_what: last line '$(tail -n 1 "$W/err")' lacks '$_text'"
	grep -q -e "$S3_SECRET" -e "$AWS_SECRET_ACCESS_KEY" "$W/err" &&
	    fail "$_what: the secret is in the message"
	:
}

start_fails "dead endpoint" "Connection refused" \
    -o endpoint=http://127.0.0.1:9,path_style "$S3LOC"
start_fails "missing bucket" "NoSuchBucket" \
    $S3_OPTS "s3://no-such-bucket-$$/loc"
# radosgw with its STS on (rgw.sh) says AccessDenied to both: a key it
# does not take is tried as a temporary one too.
AWS_SECRET_ACCESS_KEY=wrong-secret-$$ start_fails "bad secret" \
    "SignatureDoesNotMatch\|HTTP 403 AccessDenied" $S3_OPTS "$S3LOC"
AWS_ACCESS_KEY_ID=NOSUCHKEY start_fails "bad key" \
    "InvalidAccessKeyId\|HTTP 403 AccessDenied" $S3_OPTS "$S3LOC"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$SNAPFS" $S3_OPTS \
    "$S3LOC" "$MNT" 2>"$W/err" && fail "no credentials: snapfs started"
grep -q "no S3 credentials" "$W/err" || fail "no credentials: $(cat "$W/err")"
start_fails "S3 option on a local location" "options need an s3://" \
    -o endpoint=http://127.0.0.1:1 "$LOC"

# A credentials file with two profiles, and no key in the environment.
cat >"$W/credentials" <<END
[default]
aws_access_key_id = NOSUCHKEY
aws_secret_access_key = nothing
# the one we use
[snapfs-test]
aws_access_key_id = $S3_KEY
aws_secret_access_key = $S3_SECRET
END
SECRET=$AWS_SECRET_ACCESS_KEY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
mount_fs "$S3LOC" $S3_OPTS,credentials="$W/credentials",profile=snapfs-test
S=$MNT/repo1/snap_a
cat "$MNT/repo1/snapshots.tsv" | grep -q "^snap_a	.*	OK	" ||
    fail "snapshots.tsv over a credentials file: $(cat "$MNT/repo1/snapshots.tsv")"
tr '\0' ' ' <"/proc/$SNAPFS_PID/cmdline" | grep -q -- "$SECRET" &&
    fail "the secret is on the command line"
grep -rq -- "$SECRET" "$MNT/stats.json" "$MNT/repo1/snapshots.tsv" \
    "$S/snapshot.txt" "$S/details.json" && fail "the secret is in a file"

# Through a proxy that then dies: reads fail with EIO, never hang, and
# what was read before still reads.
umount_fs
export AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$SECRET
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RGW_PORT=${S3_ENDPOINT##*:}
python3 "$srcdir/tests/s3/proxy.py" "$PORT" "$RGW_PORT" >"$W/proxy.out" 2>&1 &
PROXY=$!
EXTRA_KILL="$PROXY"
until grep -q ready "$W/proxy.out"; do
	pid_alive $PROXY || fail "proxy did not start"
	sleep 0.05
done
mount_fs "$S3LOC" -o endpoint=http://127.0.0.1:$PORT,path_style
BIG=$(find "$S" -name '*.dat' -size +7M | head -n 1)
[ -n "$BIG" ] || fail "no big file in $S"
SMALL=$(find "$S" -name '*.hdr' | head -n 1)
cat "$SMALL" >/dev/null || fail "read before the endpoint died"
kill $PROXY
wait $PROXY 2>/dev/null || :
_t0=$(now)
if cat "$BIG" >/dev/null 2>"$W/cat.err"; then
	fail "a read from a dead endpoint succeeded"
fi
T=$(elapsed "$_t0")
grep -q "Input/output error" "$W/cat.err" || fail "dead endpoint: $(cat "$W/cat.err")"
note "read from a dead endpoint failed with EIO after $T s"
awk -v t="$T" 'BEGIN { exit !(t < 90) }' || fail "EIO took $T s"
cat "$SMALL" >/dev/null || fail "a file read before is lost"
mountpoint -q "$MNT" || fail "the mount went away"
grep -q -- "$SECRET" "$W/log" && fail "the secret is in the log"
umount_fs
