#!/bin/sh
# azure/verify.sh - tests/integration/verify.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/verify.sh"
