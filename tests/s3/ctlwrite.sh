#!/bin/sh
# s3/ctlwrite.sh - tests/integration/ctlwrite.sh, on a real S3 server.
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/ctlwrite.sh"
