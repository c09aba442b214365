#!/bin/sh
# azure/backup.sh - tests/integration/backup.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/backup.sh"
