#!/bin/sh
# access.sh - with allow_other, another user can read the tree but cannot
# start jobs: ctl/ takes lines only from the mounting user or root; the
# mount has default_permissions; the tree is read-only for everyone,
# root included.
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

# allow_other turns default_permissions on.
opts=$(awk -v m="$MNT" '$5 == m { print $6, $NF }' /proc/self/mountinfo)
case $opts in
*default_permissions*)	;;
*)	fail "no default_permissions in the mount options: $opts" ;;
esac
case $opts in
*allow_other*)	;;
*)	fail "no allow_other in the mount options: $opts" ;;
esac

# Read-only for everyone.
S=$MNT/repo1/snap_a
F=$(find "$S" -type f | head -n 1)
for who in "" as_nobody; do
	assert_fails_erofs "${who:-root}: write" $who sh -c "echo x >>'$F'"
	assert_fails_erofs "${who:-root}: create" $who touch "$S/new"
	assert_fails_erofs "${who:-root}: mkdir" $who mkdir "$S/newdir"
	assert_fails_erofs "${who:-root}: unlink" $who rm -f "$F"
	assert_fails_erofs "${who:-root}: rmdir" $who rmdir "$MNT/repo1"
	assert_fails_erofs "${who:-root}: rename" $who mv "$F" "$F.x"
	# chmod by another user than the owner is EPERM before anything.
	$who chmod 777 "$F" 2>/dev/null && fail "${who:-root}: chmod worked"
	assert_fails_erofs "${who:-root}: truncate" $who truncate -s 0 "$F"
	assert_fails_erofs "${who:-root}: symlink" $who ln -s x "$S/link"
	assert_fails_erofs "${who:-root}: stats.json" $who sh -c \
	    "echo x >'$MNT/stats.json'"
done
[ -f "$F" ] || fail "$F is gone"
umount_fs
