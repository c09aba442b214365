#!/bin/sh
# s3/raw.sh - tests/integration/raw.sh, on a real S3 server (see tests/lib.sh).
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/raw.sh"
