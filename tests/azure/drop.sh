#!/bin/sh
# azure/drop.sh - tests/integration/drop.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/drop.sh"
