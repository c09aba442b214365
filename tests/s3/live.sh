#!/bin/sh
# s3/live.sh - tests/integration/live.sh, on a real S3 server, the other
# writer being the aws CLI.
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/live.sh"
