#!/bin/sh
# Install what bench/run.sh needs: snapfs's build, S3 and Azure test
# dependencies (Azurite from npm, the az CLI), and from Debian the peers
# and tools it measures with.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sh "$here/../tests/deps.sh"
sh "$here/../tests/s3/deps.sh"
sh "$here/../tests/azure/deps.sh"
exec sh "$here/../tests/deps.sh" s3fs rclone curl time rsync procps \
    python3 fuse3 util-linux
