#!/bin/sh
# s3/torn.sh - tests/integration/torn.sh, on a real S3 server.
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/torn.sh"
