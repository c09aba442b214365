#!/bin/sh
# Install what bench/run.sh needs from Debian: snapfs's build and S3 test
# dependencies, and the peers and tools it measures with.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sh "$here/../tests/deps.sh"
sh "$here/../tests/s3/deps.sh"
exec sh "$here/../tests/deps.sh" s3fs rclone curl time rsync procps \
    python3 fuse3 util-linux
