#!/bin/sh
# azure/rows.sh - tests/integration/rows.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/rows.sh"
