#!/bin/sh
# azure/ctlwrite.sh - tests/integration/ctlwrite.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/ctlwrite.sh"
