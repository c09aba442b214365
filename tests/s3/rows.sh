#!/bin/sh
# s3/rows.sh - tests/integration/rows.sh, on a real S3 server.
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/rows.sh"
