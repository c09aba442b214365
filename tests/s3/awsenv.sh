#!/bin/sh
# s3/awsenv.sh - S3 keys and settings found the way the AWS CLI finds
# them: ~/.aws/credentials and ~/.aws/config (endpoint_url, region), with
# no option and no AWS_* key; AWS_PROFILE and -o profile= choose the
# profile; keys in the environment come before the files, and -o
# credentials= before both; AWS_ENDPOINT_URL_S3 comes before the
# profile's endpoint_url; an unknown profile is refused at start with one
# line; the log says where the keys came from, never what they are.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --label snap_a
s3_publish "$LOC"
KEY=$AWS_ACCESS_KEY_ID
SECRET=$AWS_SECRET_ACCESS_KEY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_PROFILE AWS_REGION \
    AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
    AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
HOME=$W/home
export HOME
mkdir -p "$HOME/.aws"
cat >"$HOME/.aws/credentials" <<END
[default]
aws_access_key_id = NOBODY
aws_secret_access_key = not-the-secret
[work]
aws_access_key_id = $KEY
aws_secret_access_key = $SECRET
END
dead=http://127.0.0.1:$(free_port)
cat >"$HOME/.aws/config" <<END
[default]
endpoint_url = $S3_ENDPOINT
[profile work]
region = us-east-1
endpoint_url = $S3_ENDPOINT
[profile elsewhere]
endpoint_url = $dead
END

mount_fs "$S3LOC" -o path_style,profile=work
ls "$MNT/repo1" | grep -qx snap_a || fail "-o profile=work: no snap_a"
umount_fs
grep -q "S3 credentials from $HOME/.aws/credentials \[work\]" "$W/log" ||
    fail "the log does not say where the keys came from"
AWS_PROFILE=work
export AWS_PROFILE
mount_fs "$S3LOC" -o path_style
ls "$MNT/repo1" | grep -qx snap_a || fail "AWS_PROFILE=work: no snap_a"
umount_fs
unset AWS_PROFILE

# The default profile's keys are wrong: refused, whatever the endpoint.
refused "403\|Forbidden\|denied\|InvalidAccessKeyId" "$S3LOC" "$MNT" \
    -o path_style
refused "no S3 credentials for profile nosuch: no such profile" \
    AWS_PROFILE=nosuch "$S3LOC" "$MNT" -o path_style
# Keys in the environment come first; a named file before them.
AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
mount_fs "$S3LOC" -o path_style
ls "$MNT/repo1" | grep -qx snap_a || fail "keys in the environment"
umount_fs
cp "$HOME/.aws/credentials" "$W/named"
sed -i 's/^\[default\]/[old]/; s/^\[work\]/[default]/' "$W/named"
AWS_ACCESS_KEY_ID=NOBODY
mount_fs "$S3LOC" -o path_style,credentials="$W/named"
ls "$MNT/repo1" | grep -qx snap_a || fail "-o credentials= did not win"
umount_fs
AWS_ACCESS_KEY_ID=$KEY

# The endpoint: the profile's, unless AWS_ENDPOINT_URL_S3 says otherwise.
start_fails "the profile's dead endpoint" some AWS_PROFILE=elsewhere \
    "$S3LOC" "$MNT" -o path_style
grep -q "$dead\|127.0.0.1" "$W/err.txt" ||
    fail "not the dead endpoint: $(cat "$W/err.txt")"
AWS_PROFILE=elsewhere AWS_ENDPOINT_URL_S3=$S3_ENDPOINT
export AWS_PROFILE AWS_ENDPOINT_URL_S3
mount_fs "$S3LOC" -o path_style
ls "$MNT/repo1" | grep -qx snap_a || fail "AWS_ENDPOINT_URL_S3 lost"
umount_fs

grep -q -- "$SECRET" "$W/log" "$W/refusals" && fail "the secret is in a log"
:
