#!/bin/sh
# azure/eras.sh - tests/integration/eras.sh, on Azurite (see tests/lib.sh).
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/eras.sh"
