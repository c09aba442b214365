#!/bin/sh
# azure/global.sh - tests/integration/global.sh, on Azurite (see tests/lib.sh).
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/global.sh"
