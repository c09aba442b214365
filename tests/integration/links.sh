#!/bin/sh
# links.sh - nothing under a local location or a data root is followed
# through a symbolic link: a link to a secret file, planted in the
# location (at the top, in .raw, as a tablet file named after the md5 of
# the secret) is not shown and is logged once; a repository folder that is
# a link is neither shown nor written through by a backup; a link or a
# FIFO in the data root is not backed up, and a restore does not write
# through a table folder that is a link.  An unprivileged user reads no
# secret through an allow_other mount.  Run with openat2 and with the
# one-step-at-a-time walk that kernels without it get.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
require_prog setpriv md5sum mkfifo

[ "$(id -u)" -eq 0 ] || fail "this test runs as root (it switches users)"
as_nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

SECRET=$W/secret
printf 'root:$6$not-for-your-eyes:19000:0:99999:7:::\n' >"$SECRET"
chmod 600 "$SECRET"
sum=$(md5sum <"$SECRET" | cut -c 1-32)
chmod 755 "$W"

LOC=$W/loc
DATA=$W/data
mkrepo "$LOC" --label snap_a
REPO=$LOC/__palo_repository_repo1
tab=$(find "$REPO/__ss_snap_a/__ss_content" -name '__10013' -type d)
[ -n "$tab" ] || fail "generator: no tablet 10013"
ln -s "$SECRET" "$LOC/secret.lnk"
ln -s "$SECRET" "$tab/0200000000000034b0400c3870adc1c7d4e9f04c07630c99_9.dat.$sum"
ln -s "$W" "$REPO/__ss_snap_a/__ss_content/escape"
mkfifo "$REPO/fifo"
mkdir "$W/elsewhere"
ln -s "$W/elsewhere" "$LOC/__palo_repository_r2"

mkdir -p "$DATA/crm/t/p/1001" "$DATA/shop/t/p/1001" "$W/outside"
echo data >"$DATA/crm/t/p/1001/1001.hdr"
echo data >"$DATA/shop/t/p/1001/1001.hdr"
ln -s "$SECRET" "$DATA/shop/t/p/1001/1001_0.dat"
mkfifo "$DATA/shop/t/p/1001/1001_1.dat"

for walk in openat2 steps; do
	if [ $walk = steps ]; then
		SNAPFS_TEST_NO_OPENAT2=1
		export SNAPFS_TEST_NO_OPENAT2
	fi
	note "resolving with $walk"
	mount_fs "$LOC" -o allow_other,data="$DATA"

	# Not shown: not at the top, not in .raw, not as a tablet file.
	ls -a "$MNT/.raw" | grep -qx secret.lnk && fail "$walk: .raw shows the link"
	ls "$MNT/.raw/__palo_repository_repo1" | grep -qx fifo &&
	    fail "$walk: .raw shows the FIFO"
	ls "$MNT" | grep -qx r2 && fail "$walk: the linked repository shows"
	ls "$MNT/repo1/snap_a/orders/p202401/10013" | grep -q '_9\.dat' &&
	    fail "$walk: the linked tablet file shows"
	find "$MNT/.raw/__palo_repository_repo1/__ss_snap_a" -name escape |
	    grep -q . && fail "$walk: the linked folder shows in .raw"
	for f in "$MNT/.raw/secret.lnk" \
	    "$MNT/repo1/snap_a/orders/p202401/10013/0200000000000034b0400c3870adc1c7d4e9f04c07630c99_9.dat"; do
		as_nobody cat "$f" >"$W/read" 2>/dev/null &&
		    fail "$walk: nobody read $f"
		grep -q not-for-your-eyes "$W/read" && fail "$walk: the secret leaked"
	done
	as_nobody cat "$MNT/repo1/snapshots.tsv" >/dev/null ||
	    fail "$walk: the tree is not readable"
	# Listed twice, said once.
	ls "$MNT/.raw" >/dev/null
	n=$(awk '/^=== /{ n = 0 } /secret.lnk: a symbolic link, not a file/{ n++ }
	    END { print n }' "$W/log")
	assert_eq "$n" 1 "$walk: times the link is logged"

	# A backup TO the linked repository writes nothing through it.
	ctl_refused backup 'crm.lbl_r2 TO r2' 'symbolic links'
	[ -z "$(ls -A "$W/elsewhere")" ] ||
	    fail "$walk: written through the link: $(ls -A "$W/elsewhere")"

	# A link or a FIFO in the data root is no tablet file.
	ctl_refused backup 'shop.lbl_shop TO repo1' 'only files belong'

	# A restore does not write through a table folder that is a link.
	rm -rf "$DATA/crm/t"
	ln -s "$W/outside" "$DATA/crm/t"
	echo 'crm.snap_a ON (orders AS t)' >"$MNT/ctl/restore" ||
	    fail "$walk: restore refused: $(cat "$MNT/ctl/last_error")"
	id=$(ls "$MNT/jobs" | sort -n | tail -n 1)
	assert_eq "$(job_end "$id")" CANCELLED "$walk: restore into a link"
	[ -z "$(ls -A "$W/outside")" ] ||
	    fail "$walk: restored through the link: $(ls -A "$W/outside")"
	[ -L "$DATA/crm/t" ] || fail "$walk: the link was replaced"
	rm "$DATA/crm/t"
	mkdir -p "$DATA/crm/t/p/1001"
	echo data >"$DATA/crm/t/p/1001/1001.hdr"
	[ -z "$(ls -A "$DATA/.snapfs/jobs" 2>/dev/null)" ] ||
	    fail "$walk: job folders left: $(ls "$DATA/.snapfs/jobs")"
	umount_fs
done
cmp -s "$SECRET" /dev/stdin <<EOF || fail "the secret file changed"
root:\$6\$not-for-your-eyes:19000:0:99999:7:::
EOF
