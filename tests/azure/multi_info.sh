#!/bin/sh
# azure/multi_info.sh - tests/integration/multi_info.sh, on Azurite (see tests/lib.sh).
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/multi_info.sh"
