#!/bin/sh
# s3/manifest.sh - tests/integration/manifest.sh, on a real S3 server (see tests/lib.sh).
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/manifest.sh"
