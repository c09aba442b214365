#!/bin/sh
# azure/tablet.sh - tests/integration/tablet.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/tablet.sh"
