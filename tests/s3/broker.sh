#!/bin/sh
# s3/broker.sh - tests/integration/broker.sh, on a real S3 server.
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/broker.sh"
