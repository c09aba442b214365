#!/bin/sh
# Run Debian's aws-cli against the radosgw that rgw.sh started in DIR:
#
#   sh aws.sh DIR s3 mb s3://bkt
#   sh aws.sh DIR s3 cp --recursive localdir s3://bkt/prefix/
#   sh aws.sh DIR s3api list-objects-v2 --bucket bkt --prefix prefix/
#
# The endpoint and credentials are set for that one command only, with
# path-style addressing and no ~/.aws files.  s3 cp/mv/rm/sync get
# --only-show-errors (no progress lines).  /usr/bin/aws is used on purpose:
# "aws" on PATH may be another one (a pyenv shim).
set -u

[ $# -ge 2 ] || {
	echo "usage: sh aws.sh DIR <aws arguments...>" >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
D=$1
shift
S3_ENDPOINT= S3_KEY= S3_SECRET= S3_REGION=
vars=$(sh "$here/rgw.sh" env "$D") || exit 1
eval "$vars"
[ -x /usr/bin/aws ] || {
	echo "aws.sh: /usr/bin/aws not found (run tests/s3/deps.sh as root)" >&2
	exit 1
}

if [ "${1-}" = s3 ]; then
	case ${2-} in
	cp | mv | rm | sync)
		_a=$1 _b=$2
		shift 2
		set -- "$_a" "$_b" --only-show-errors "$@"
		;;
	esac
fi

unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
    AWS_ENDPOINT_URL AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
AWS_ACCESS_KEY_ID=$S3_KEY
AWS_SECRET_ACCESS_KEY=$S3_SECRET
AWS_DEFAULT_REGION=$S3_REGION
AWS_CONFIG_FILE=$(cd "$D" && pwd -P)/aws.config
AWS_SHARED_CREDENTIALS_FILE=/dev/null
AWS_EC2_METADATA_DISABLED=true
AWS_PAGER=
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION \
    AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED \
    AWS_PAGER
exec /usr/bin/aws --endpoint-url "$S3_ENDPOINT" "$@"
