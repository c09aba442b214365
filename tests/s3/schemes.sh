#!/bin/sh
# s3/schemes.sh - oss://, cos://, obs:// and gs:// locations, as Doris
# takes them, are S3 locations: with the endpoint given they mount and
# read like s3://; oss://, cos:// and obs:// without one are refused at
# start with one line that names the endpoint their provider needs.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --label snap_a
s3_publish "$LOC"
F=repo1/snap_a/orders/p202401/10013/10013.hdr
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3

for scheme in oss cos obs gs; do
	mount_fs "$scheme://${S3LOC#s3://}" $S3_OPTS
	cmp "$MNT/$F" "$(find "$LOC" -name '10013.hdr.*')" ||
	    fail "$scheme://: a read failed"
	umount_fs
done

for want in "oss Alibaba Cloud OSS needs -o endpoint=https://oss-REGION" \
    "cos Tencent Cloud COS needs -o endpoint=https://cos.REGION" \
    "obs Huawei Cloud OBS needs -o endpoint=https://obs.REGION"; do
	refused "${want#* }" "${want%% *}://${S3LOC#s3://}" "$MNT" -o path_style
done
refused "S3 and Azure options need an s3://, oss://, cos://, obs://, gs://" \
    /nonexistent "$MNT" -o endpoint=http://x
refused "list_chunk=2000: S3 lists 1000 keys a page at most" "$S3LOC" \
    "$MNT" $S3_OPTS -o list_chunk=2000
:
