#!/bin/sh
# s3/eras.sh - tests/integration/eras.sh, on a real S3 server (see tests/lib.sh).
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/eras.sh"
