#!/bin/sh
# s3/creds.sh - temporary S3 keys the way EC2, ECS/EKS and web identity
# give them.  tests/s3/credserver.py stands for EC2's instance metadata
# (IMDSv2), the container credentials service and STS
# AssumeRoleWithWebIdentity, and hands out radosgw's real temporary keys
# (STS GetSessionToken; radosgw checks the session token on every
# request), announced to expire a few seconds later.  Each source mounts
# and reads; a wrong token is refused at start with one line; keys are
# renewed in the background while a long read and a backup run, with no
# failed request; a credential service that goes away leaves the mount
# working until its keys expire, then reads fail with EACCES and one log
# line, and work again once it is back; no secret key, session token,
# identity token or authorization token shows in a log, an error,
# stats.json, a job file or the command line.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

DATA=$W/data
LOC=$W/loc
mkrepo "$LOC" --label snap_a --tablets 60 --big 24000000
data_file "$DATA" sales t p 1001 1001.hdr 100
data_file "$DATA" sales t p 1001 0200000000000001001_0.dat 200000
s3_publish "$LOC"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
HOME=$W/home		# no ~/.aws
export HOME
OPTS="-o endpoint=$S3_ENDPOINT,path_style"
CRED_PORT=$(free_port)
CRED=http://127.0.0.1:$CRED_PORT
IDTOKEN=web-identity-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
AUTH=container-auth-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
echo "$IDTOKEN" >"$W/idtoken"
echo "$AUTH" >"$W/authtoken"

# cred_start LIFE: the credential services, keys announced for LIFE s.
cred_start()
{
	python3 "$srcdir/tests/s3/credserver.py" --port "$CRED_PORT" \
	    --rgw-endpoint "$S3_ENDPOINT" --key "$S3_KEY" \
	    --secret "$S3_SECRET" \
	    --lifetime "$1" --token-file "$W/idtoken" --auth "$AUTH" \
	    --log "$W/issued" --dump "$W/secrets" >>"$W/cred.out" 2>&1 &
	CRED_PID=$!
	EXTRA_KILL="$EXTRA_KILL $CRED_PID"
	until curl -sf "$CRED/ping" >/dev/null 2>&1; do
		pid_alive "$CRED_PID" ||
		    fail "credserver did not start: $(cat "$W/cred.out")"
		sleep 0.1
	done
}
cred_stop()
{
	kill "$CRED_PID"
	wait "$CRED_PID" 2>/dev/null || :
}
issued()	# SERVICE: how many keys it gave
{
	grep -c " $1 " "$W/issued" 2>/dev/null || :
}
# reads N: the next N small .dat files of the snapshot, never read before
# (no header of theirs is read ahead), so that each needs a GET; every
# byte is md5-checked by snapfs.
next=0
reads()
{
	sed -n "$((next + 1)),$((next + $1))p" "$W/files" >"$W/batch"
	next=$((next + $1))
	[ -s "$W/batch" ] || fail "no files left to read"
	while read -r _f; do
		cat "$MNT/$_f" >/dev/null 2>>"$W/readerr" || return 1
	done <"$W/batch"
}
# secret_list: every secret key and session token issued, the tokens
# and the static secret, one a line, in secret.list.
secret_list()
{
	{
		cut -f 2,3 "$W/secrets" | tr '\t' '\n'
		echo "$IDTOKEN"
		echo "$AUTH"
		echo "$S3_SECRET"
	} >"$W/secret.list"
}
IMDS=AWS_EC2_METADATA_SERVICE_ENDPOINT=$CRED
CONTAINER=AWS_CONTAINER_CREDENTIALS_FULL_URI=$CRED/container/creds
ROLE=arn:aws:iam::123456789012:role/snapfs
# use SOURCE: the environment of one source of keys, and only it.
use()
{
	unset AWS_EC2_METADATA_SERVICE_ENDPOINT AWS_CONTAINER_CREDENTIALS_FULL_URI \
	    AWS_CONTAINER_AUTHORIZATION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \
	    AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_ENDPOINT_URL_STS \
	    AWS_PROFILE
	case $1 in
	imds)	export "$IMDS"
		FROM="EC2 instance metadata ($CRED)" ;;
	container)
		export "$CONTAINER" AWS_CONTAINER_AUTHORIZATION_TOKEN="$AUTH"
		FROM="container credentials ($CRED/container/creds)" ;;
	container_file)
		export "$CONTAINER" \
		    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$W/authtoken"
		FROM="container credentials ($CRED/container/creds)" ;;
	webid)	export AWS_WEB_IDENTITY_TOKEN_FILE="$W/idtoken" \
		    AWS_ROLE_ARN="$ROLE" AWS_ENDPOINT_URL_STS="$CRED"
		FROM="web identity (role $ROLE)" ;;
	profile)
		export AWS_PROFILE=eks AWS_ENDPOINT_URL_STS="$CRED"
		FROM="web identity (role $ROLE)" ;;
	esac
}

mkdir -p "$HOME/.aws"
cat >"$HOME/.aws/config" <<END
[profile eks]
web_identity_token_file = $W/idtoken
role_arn = $ROLE
END
cred_start 3600

# Each source: the mount says which, and reads.
for source in imds container container_file webid profile; do
	use $source
	: >"$W/log"
	mount_fs "$S3LOC" $OPTS
	[ -f "$W/files" ] || (cd "$MNT" && find repo1/snap_a -name "*.dat" \
	    -size -20000k | sort) >"$W/files"
	reads 2 || fail "$source: a read failed: $(cat "$W/readerr")"
	umount_fs
	grep -qF "S3 credentials from $FROM, region" "$W/log" ||
	    fail "the log does not say: S3 credentials from $FROM"
	cat "$W/log" >>"$W/logs"
done
assert_eq "$(issued imds) $(issued container) $(issued sts)" "1 2 2" \
    "keys given by imds, container, sts"

# A wrong token is refused at start, in one line.
use webid
echo not-the-token >"$W/badtoken"
refused "InvalidIdentityToken" AWS_WEB_IDENTITY_TOKEN_FILE="$W/badtoken" \
    "$S3LOC" "$MNT" $OPTS
use container
refused "container credentials: HTTP 401" \
    AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong "$S3LOC" "$MNT" $OPTS
refused "plain http only to a loopback" \
    AWS_CONTAINER_CREDENTIALS_FULL_URI=http://example.com/creds \
    "$S3LOC" "$MNT" $OPTS
use imds
refused "EC2 instance metadata: HTTP 404" \
    AWS_EC2_METADATA_SERVICE_ENDPOINT="$CRED/nothing" "$S3LOC" "$MNT" $OPTS
cred_stop

# Renewal: keys announced for 6 s are renewed before they expire while a
# slow read of a 24 MB file (with 2 MiB of read-ahead: a GET every
# second) and a backup that lingers in each state run; nothing fails.
use container
cred_start 6
: >"$W/log"
t0=$(now)
export SNAPFS_TEST_PAUSE_MS=1500	# each state of the backup lasts 1.5 s
mount_fs "$S3LOC" $OPTS -d -o memory=2M,data="$DATA"
unset SNAPFS_TEST_PAUSE_MS
echo 'sales.snap_b TO repo1' >"$MNT/ctl/backup" || fail "backup refused"
BIG=$(find "$LOC" -name '*.dat.*' -size +20000k)
BIGM=$(find "$MNT/repo1/snap_a" -name '*.dat' -size +20000k)
python3 - "$BIGM" "${BIG##*.}" <<'END' ||
import hashlib, sys, time
f = open(sys.argv[1], "rb")
h, start, n = hashlib.md5(), time.time(), 0
while True:
    b = f.read(256 * 1024)
    if not b:
        break
    h.update(b)
    n += len(b)
    time.sleep(max(0, start + n / 1.5e6 - time.time()))	# 1.5 MB/s
sys.exit(h.hexdigest() != sys.argv[2])
END
    fail "the slow read failed or read wrong bytes"
assert_eq "$(job_end 1)" FINISHED "the backup"
reads 5 || fail "a read after the renewals failed: $(cat "$W/readerr")"
secret_list
grep -F -f "$W/secret.list" "$MNT/stats.json" "$MNT"/jobs/*/* &&
    fail "a secret in a file of the mount"
tr '\0' '\n' <"/proc/$SNAPFS_PID/cmdline" | grep -F -f "$W/secret.list" &&
    fail "a secret on the command line"
umount_fs
renewed=$(grep -c "S3 credentials from $FROM renewed" "$W/log")
[ "$renewed" -ge 4 ] || fail "renewed $renewed times in $(elapsed "$t0") s"
grep -E "cannot renew|expired|HTTP 403|Permission denied|AccessDenied" \
    "$W/log" && fail "a request failed while keys were renewed"
cat "$W/log" >>"$W/logs"

# The service goes away: the keys in hand serve until they expire, then
# reads fail with EACCES and one log line; once it is back, reads work.
: >"$W/log"
mount_fs "$S3LOC" $OPTS
reads 1 || fail "a read before the service went away"
cred_stop
gone=$(date +%s)
reads 1 || fail "a read with the keys in hand"
sleep 7		# past their expiry (6 s, renewed at 3 s at the latest)
reads 1 && fail "a read with expired keys succeeded"
grep -q "Permission denied" "$W/readerr" ||
    fail "not EACCES: $(cat "$W/readerr")"
reads 1 && fail "a second read with expired keys succeeded"
assert_eq "$(grep -c "S3 credentials from $FROM expired at" "$W/log")" 1 \
    "lines saying the keys expired"
grep -q "cannot renew them: container credentials: " "$W/log" ||
    fail "no log line of a failed renewal"
grep "GET container credentials: .*attempt" "$W/log" &&
    fail "a failed renewal is logged more than once"
cred_start 6
ok=
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	reads 1 && ok=1 && break
	sleep 1
done
[ -n "$ok" ] || fail "reads still fail 20 s after the service came back"
umount_fs
cat "$W/log" >>"$W/logs"

# No secret anywhere: what was issued, the tokens, the static secret.
secret_list
[ "$(wc -l <"$W/secret.list")" -ge 10 ] || fail "too few secrets to look for"
grep -F -f "$W/secret.list" "$W/logs" "$W/refusals" && fail "a secret in a log"
:
