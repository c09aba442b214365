#!/bin/sh
# s3/meta.sh - tests/integration/meta.sh on a real S3 server (8 snapshots
# of 1,000 tablets under meta_memory=1M: the upload of 60 x 5,000 tablets
# would take longer than the whole suite).
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/meta.sh"
