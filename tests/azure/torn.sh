#!/bin/sh
# azure/torn.sh - tests/integration/torn.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/torn.sh"
