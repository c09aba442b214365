#!/bin/sh
# s3/rsync.sh - tests/integration/rsync.sh, on a real S3 server (see tests/lib.sh).
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/rsync.sh"
