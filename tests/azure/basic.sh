#!/bin/sh
# azure/basic.sh - an Azure Blob repository, served by Azurite and put
# there by an independent client (Debian's az CLI): the mounted tree is the
# same, file for file and byte for byte, as the mount of the same
# repository on a local disk, names with ": +@~=&%" and UTF-8 included,
# also listed 3 blobs a page;
# the abfs:// form reaches the same; verify, backup (the new snapshot
# shows, its info uploaded last) and drop work on it; a wrong key is
# refused at start with one line and nothing mounted; the key is in no
# log, job file or command line.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

DATA=$W/data
LOC=$W/loc
mkrepo "$LOC" --label snap_a --unicode
mkrepo "$LOC" --label snap_b
data_file "$DATA" sales t p 1001 0200000000000001001_0.dat 200000
# A name of every kind of character, in the content of snap_b.
odd=$(find "$LOC/__palo_repository_repo1/__ss_snap_b/__ss_content" \
    -name '*.dat.*' | head -n 1)
cp "$odd" "$(dirname "$odd")/odd : +@~=&%é.txt"
az_start
az_container
az_publish "$LOC"

# sums DIR: every file below DIR (but stats.json) with its md5.
sums()
{
	(cd "$1" && find . -type f ! -name stats.json ! -path './ctl/*' |
	    LC_ALL=C sort | while read -r f; do
		printf '%s %s\n' "$(md5sum <"$f" | cut -c1-32)" "$f"
	done)
}

mount_fs "$LOC"
sums "$MNT" >"$W/local.sums" || fail "cannot read the local mount"
umount_fs
mount_fs "$AZLOC" $AZ_OPTS -o data="$DATA"
sums "$MNT" >"$W/azure.sums" || fail "cannot read the Azure mount"
diff "$W/local.sums" "$W/azure.sums" >&2 ||
    fail "the Azure mount differs from the local one"
[ "$(wc -l <"$W/azure.sums")" -ge 40 ] || fail "too few files compared"
grep -q "odd : +@~=&%é.txt" "$W/azure.sums" || fail "the odd name is missing"
umount_fs
# Three blobs a page: every folder of more is listed over several pages
# (NextMarker), and the tree is the same.
mount_fs "$AZLOC" $AZ_OPTS -o data="$DATA",list_chunk=3
sums "$MNT" >"$W/chunked.sums" || fail "cannot read the mount of 3 a page"
diff "$W/azure.sums" "$W/chunked.sums" >&2 ||
    fail "the mount of 3 blobs a page differs"

# Jobs: verify, backup into the container, verify it, drop it.
id=$(job_run verify repo1.snap_a)
assert_eq "$(cat "$MNT/jobs/$id/report.txt")" OK "verify's report"
job_run backup 'sales.snap_new TO repo1' >/dev/null
ls "$MNT/repo1" | grep -qx snap_new || fail "the new snapshot is not shown"
cmp "$MNT/repo1/snap_new/t/p/1001/0200000000000001001_0.dat" \
    "$DATA/sales/t/p/1001/0200000000000001001_0.dat" ||
    fail "the backed-up file differs"
id=$(job_run verify repo1.snap_new)
assert_eq "$(cat "$MNT/jobs/$id/report.txt")" OK "snap_new's report"
job_run drop repo1.snap_new >/dev/null
ls "$MNT/repo1" | grep -qx snap_new && fail "snap_new is still shown"
az_storage blob list -c "$CONTAINER" --prefix loc/ --num-results '*' \
    --query '[].name' -o tsv >"$W/blobs" || fail "az cannot list"
grep -q __ss_snap_new "$W/blobs" && fail "snap_new's blobs are left"
grep -q __ss_snap_b "$W/blobs" || fail "snap_b's blobs are gone"
grep -rq -- "$AZURE_KEY" "$MNT/jobs" "$MNT/stats.json" &&
    fail "the key is in a file of the mount"
tr '\0' '\n' <"/proc/$SNAPFS_PID/cmdline" | grep -q -- "$AZURE_KEY" &&
    fail "the key is on the command line"
umount_fs

# abfs://CONTAINER@ACCOUNT.dfs.core.windows.net/PREFIX is the same place.
mount_fs "abfs://$CONTAINER@$AZURE_ACCOUNT.dfs.core.windows.net/loc" \
    $AZ_OPTS
ls "$MNT/repo1" | grep -qx snap_b || fail "abfs://: no snap_b"
umount_fs

# A wrong key, a missing container: one line, nothing mounted.
refused "HTTP 403 Authori[sz]ationFailure\\|HTTP 403 AuthenticationFailed" \
    AZURE_STORAGE_KEY=bm90IHRoZSBrZXkgb2YgdGhpcyBhY2NvdW50IGF0IGFsbA== \
    "$AZLOC" "$MNT" $AZ_OPTS
refused "HTTP 404 ContainerNotFound" \
    "https://$AZURE_ACCOUNT.blob.core.windows.net/no-such-container" \
    "$MNT" $AZ_OPTS
refused "no Azure key for account" AZURE_STORAGE_KEY= "$AZLOC" "$MNT" $AZ_OPTS
refused "list_chunk=0: not a number from 1 to 5000" "$AZLOC" "$MNT" \
    $AZ_OPTS -o list_chunk=0
grep -q -- "$AZURE_KEY" "$W/log" "$W/refusals" && fail "the key is in a log"
:
