#!/bin/sh
# azure/live.sh - tests/integration/live.sh, on Azurite, the other
# writer being the az CLI.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/live.sh"
