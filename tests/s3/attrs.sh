#!/bin/sh
# s3/attrs.sh - tests/integration/attrs.sh, on a real S3 server (see tests/lib.sh).
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/attrs.sh"
