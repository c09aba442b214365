#!/bin/sh
# azure/restore.sh - tests/integration/restore.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/restore.sh"
