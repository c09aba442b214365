#!/bin/sh
# azure/manifest.sh - tests/integration/manifest.sh, on Azurite (see tests/lib.sh).
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/manifest.sh"
