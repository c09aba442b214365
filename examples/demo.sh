#!/bin/sh
# Set everything up and look at a sample Doris backup repository through
# snapfs: install the dependencies, build, write a sample location on the
# local disk (no server), mount it, show ls and cat, back up a small data
# root into it through ctl/backup, unmount.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/tests/build.sh"
snapfs=${BUILD:-$top/build}/src/snapfs

demo=$(mktemp -d /tmp/snapfs-demo.XXXXXX)
trap 'fusermount3 -u "$demo/mnt" 2>/dev/null; rm -rf "$demo"' EXIT INT TERM
mkdir "$demo/backups" "$demo/mnt"
mkdir -p "$demo/data/sales/orders/p202611/20001"
head -c 100000 /dev/urandom >"$demo/data/sales/orders/p202611/20001/20001.hdr"
python3 "$top/tests/mkrepo.py" "$demo/backups" --label snap_20240301
python3 "$top/tests/mkrepo.py" "$demo/backups" --label snap_broken \
    --broken noinfo
"$snapfs" -o data="$demo/data" "$demo/backups" "$demo/mnt"

set -x
ls "$demo/mnt"
cat "$demo/mnt/repo1/snapshots.tsv"
ls "$demo/mnt/repo1/snap_20240301"
cat "$demo/mnt/repo1/snap_20240301/snapshot.txt"
cat "$demo/mnt/repo1/snap_20240301/orders/p202401/partition.txt"
ls -l "$demo/mnt/repo1/snap_20240301/orders/p202401/10013"
du -sh "$demo/mnt/repo1/snap_20240301"
echo 'sales.snap_demo TO repo1' >"$demo/mnt/ctl/backup"
set +x
until grep -qx -e FINISHED -e CANCELLED "$demo/mnt/jobs/1/state"; do
	sleep 0.1
done
set -x
cat "$demo/mnt/jobs/1/job.txt"
cat "$demo/mnt/repo1/snapshots.tsv"
ls -R "$demo/mnt/repo1/snap_demo"
