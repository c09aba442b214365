#!/bin/sh
# azure/broker.sh - tests/integration/broker.sh, on Azurite.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/broker.sh"
