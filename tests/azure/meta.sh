#!/bin/sh
# azure/meta.sh - tests/integration/meta.sh on Azurite (8 snapshots of
# 1,000 tablets under meta_memory=1M, as on S3).
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/meta.sh"
