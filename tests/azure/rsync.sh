#!/bin/sh
# azure/rsync.sh - tests/integration/rsync.sh, on Azurite (see tests/lib.sh).
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/rsync.sh"
