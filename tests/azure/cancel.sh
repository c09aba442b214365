#!/bin/sh
# azure/cancel.sh - tests/integration/cancel.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/cancel.sh"
