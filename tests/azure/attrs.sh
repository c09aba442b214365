#!/bin/sh
# azure/attrs.sh - tests/integration/attrs.sh, on Azurite (see tests/lib.sh).
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/attrs.sh"
