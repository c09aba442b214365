#!/bin/sh
# access.sh - with allow_other, another user can read the tree but cannot
# start jobs: ctl/ takes lines only from the mounting user or root.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog setpriv

[ "$(id -u)" -eq 0 ] || fail "this test runs as root (it switches users)"
DATA=$W/data
LOC=$W/loc
mkrepo "$LOC" --label snap_a
mkdir -p "$DATA/sales/t/p/1001"
echo x >"$DATA/sales/t/p/1001/1001.hdr"
chmod 755 "$W"
mount_fs "$LOC" -o allow_other,data="$DATA"

as_nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
as_nobody cat "$MNT/repo1/snapshots.tsv" >/dev/null ||
    fail "another user cannot read the tree"
as_nobody ls "$MNT/jobs" >/dev/null || fail "another user cannot list jobs"
if as_nobody sh -c "echo 'snap_b' >'$MNT/ctl/backup'" 2>"$W/err"; then
	fail "another user started a backup"
fi
grep -q "Permission denied" "$W/err" || fail "not EACCES: $(cat "$W/err")"
[ -z "$(ls "$MNT/jobs")" ] || fail "a job was made: $(ls "$MNT/jobs")"
as_nobody sh -c "cat '$MNT/ctl/backup'" 2>/dev/null &&
    fail "a control file is readable"
echo 'snap_b' >"$MNT/ctl/backup" || fail "root cannot start a backup"
umount_fs
