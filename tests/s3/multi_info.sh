#!/bin/sh
# s3/multi_info.sh - tests/integration/multi_info.sh, on a real S3 server (see tests/lib.sh).
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/multi_info.sh"
