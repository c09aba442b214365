#!/bin/sh
# Set everything up and look at a sample Doris backup repository through
# snapfs: install the dependencies, build, write a sample location on the
# local disk (no server), mount it, show ls and cat, unmount.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/tests/build.sh"
snapfs=${BUILD:-$top/build}/src/snapfs

demo=$(mktemp -d /tmp/snapfs-demo.XXXXXX)
trap 'fusermount3 -u "$demo/mnt" 2>/dev/null; rm -rf "$demo"' EXIT INT TERM
mkdir "$demo/backups" "$demo/mnt"
python3 "$top/tests/mkrepo.py" "$demo/backups" --label snap_20240301
python3 "$top/tests/mkrepo.py" "$demo/backups" --label snap_broken \
    --broken noinfo
"$snapfs" "$demo/backups" "$demo/mnt"

set -x
ls "$demo/mnt"
cat "$demo/mnt/repo1/snapshots.tsv"
ls "$demo/mnt/repo1/snap_20240301"
cat "$demo/mnt/repo1/snap_20240301/snapshot.txt"
cat "$demo/mnt/repo1/snap_20240301/orders/p202401/partition.txt"
ls -l "$demo/mnt/repo1/snap_20240301/orders/p202401/10013"
du -sh "$demo/mnt/repo1/snap_20240301"
