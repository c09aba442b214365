#!/bin/sh
# azure/listing.sh - tests/integration/listing.sh, on Azurite, with
# a listing of one snapshot folder failing.
SNAPFS_BACKEND=azure
export SNAPFS_BACKEND
exec sh "${srcdir:-$(dirname "$0")/../..}/tests/integration/listing.sh"
