#!/bin/sh
# s3/drop.sh - tests/integration/drop.sh, on a real S3 server.
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/drop.sh"
