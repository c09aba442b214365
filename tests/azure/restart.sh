#!/bin/sh
# azure/restart.sh - tests/integration/restart.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/restart.sh"
