#!/bin/sh
# s3/listing.sh - tests/integration/listing.sh, on a real S3 server, with
# a listing of one snapshot folder failing.
SNAPFS_BACKEND=s3
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/listing.sh"
