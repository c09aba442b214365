#!/bin/sh
# azure/readpath.sh - tests/integration/readpath.sh, on Azurite (see tests/lib.sh).
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/readpath.sh"
