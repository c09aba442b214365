#!/bin/sh
# s3/region.sh - a bucket in another region than the one configured: S3
# answers the first request with 301 PermanentRedirect and the bucket's
# region in x-amz-bucket-region (tests/s3/faultproxy.py stands for S3
# there), the mount signs for that region from then on and says so in one
# log line; reads work.  A region given with region= that is the
# bucket's makes no redirect, and neither does AWS_REGION.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --label snap_a
s3_publish "$LOC"
fault_start
fault_set "region region=eu-central-1"
F=repo1/snap_a/orders/p202401/10013/10013.hdr

mount_fs "$S3LOC" $FAULT_OPTS
cmp "$MNT/$F" "$(find "$LOC" -name '10013.hdr.*')" || fail "a read failed"
umount_fs
assert_eq "$(grep -c 'bucket is in region' "$W/log")" 1 "redirect lines"
grep -q "the bucket is in region eu-central-1, not us-east-1: signing" \
    "$W/log" || fail "no log line of the region"
grep -q "HTTP 301" "$W/log" && fail "the redirect was logged as a failure"
assert_eq "$(fault_count)" 1 "requests redirected"

: >"$W/log"
mount_fs "$S3LOC" $FAULT_OPTS -o region=eu-central-1
ls "$MNT/repo1" | grep -qx snap_a || fail "region=eu-central-1: no snap_a"
umount_fs
AWS_REGION=eu-central-1 mount_fs "$S3LOC" $FAULT_OPTS
ls "$MNT/repo1" | grep -qx snap_a || fail "AWS_REGION: no snap_a"
umount_fs
grep -q "bucket is in region" "$W/log" && fail "a redirect in the region"
assert_eq "$(fault_count)" 1 "requests redirected"
