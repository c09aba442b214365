#!/bin/sh
# live.sh - a mount follows another writer of its location (plain file
# operations locally, the aws CLI on S3, the az CLI on Azure): a new
# snapshot, a new info timestamp of a label, a dropped snapshot and a new
# or removed repository show, in the folder and in snapshots.tsv, after
# SIGHUP, after a line written to ctl/refresh, and with refresh=1 on their
# own; a snapshot whose info did not change keeps its loaded tree (and
# inode numbers); a file held open while its snapshot is dropped never
# reads wrong bytes; jobs find a snapshot made after the mount; a daemon
# that forked refreshes on SIGHUP as well; the backups the daemon keeps
# (backups_listed) are those of the last listings, also after 20 rounds
# of a snapshot added and one dropped.  Remote, a listing that fails during a
# refresh keeps the last one.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
SRC=$W/src		# snapshots the other writer copies in
REPO=__palo_repository_repo1
mkrepo "$LOC" --label snap_a
mkrepo "$LOC" --label snap_b
for l in snap_c snap_d snap_e; do
	mkrepo "$SRC" --label "$l"
done
mkrepo "$SRC" --label snap_a --timestamp 2024-03-02-16-00-00
mkrepo "$SRC" --repo r2 --label snap_r2
mkrepo "$SRC" --label snap_g

# put LABEL [REPO]: the other writer copies a snapshot folder in.
put()
{
	_r=__palo_repository_${2:-repo1}
	if [ "$BACKEND" = s3 ]; then
		s3_aws s3 cp --recursive "$SRC/$_r/__ss_$1" \
		    "s3://$BUCKET/loc/$_r/__ss_$1/" >/dev/null ||
		    fail "aws s3 cp of $1 failed"
		[ -n "${2:-}" ] && s3_aws s3 cp "$SRC/$_r/__repo_info" \
		    "s3://$BUCKET/loc/$_r/__repo_info" >/dev/null
	elif [ "$BACKEND" = azure ]; then
		az_storage blob upload-batch -d "$CONTAINER" -s "$SRC/$_r/__ss_$1" \
		    --destination-path "loc/$_r/__ss_$1" --overwrite \
		    --no-progress -o none >/dev/null ||
		    fail "az upload-batch of $1 failed"
		[ -n "${2:-}" ] && az_storage blob upload -c "$CONTAINER" \
		    -f "$SRC/$_r/__repo_info" -n "loc/$_r/__repo_info" \
		    --overwrite --no-progress -o none >/dev/null
	else
		mkdir -p "$LOC/$_r"
		cp -r "$SRC/$_r/__ss_$1" "$LOC/$_r/" 2>/dev/null ||
		    cp -r "$SRC/$_r/__ss_$1/." "$LOC/$_r/__ss_$1/"
		[ -n "${2:-}" ] && cp "$SRC/$_r/__repo_info" "$LOC/$_r/"
	fi
	:
}
# gone PATH: the other writer removes a folder of the location.
gone()
{
	if [ "$BACKEND" = s3 ]; then
		s3_aws s3 rm --recursive "s3://$BUCKET/loc/$1/" >/dev/null ||
		    fail "aws s3 rm of $1 failed"
	elif [ "$BACKEND" = azure ]; then
		az_storage blob delete-batch -s "$CONTAINER" \
		    --pattern "loc/$1/*" -o none >/dev/null ||
		    fail "az delete-batch of $1 failed"
	else
		rm -rf "${LOC:?}/$1"
	fi
}
# until_ok WHAT COMMAND...: run COMMAND until it succeeds (10 s at most).
until_ok()
{
	_what=$1
	shift
	_n=0
	until "$@" >/dev/null 2>&1; do
		[ $_n -lt 100 ] || fail "$_what: not so after 10 s"
		sleep 0.1
		_n=$((_n + 1))
	done
}
shows()	# NAME [DIR]: the folder (repo1, or DIR below the mount) lists NAME
{
	ls "$MNT/${2-repo1}" | grep -qx "$1"
}
hides()
{
	! shows "$@"
}
row()	# LABEL TIMESTAMP: snapshots.tsv has its OK row
{
	grep -q "^$1	$2	OK	" "$MNT/repo1/snapshots.tsv"
}
norow()
{
	! grep -q "^$1	" "$MNT/repo1/snapshots.tsv"
}
ts=2024-03-01-16-00-00
# The daemon keeps the backups of the last listings, no more: as many as
# repo1's OK rows (the only repository listed, or left).
listed_is_ok_rows()
{
	_listed=$(grep -o '"backups_listed": [0-9]*' "$MNT/stats.json" |
	    awk '{ print $2 }')
	_rows=$(grep -c '	OK	' "$MNT/repo1/snapshots.tsv")
	assert_eq "$_listed" "$_rows" "backups_listed against OK rows: $1"
}

loaded()
{
	sed -n 's/^ *"snapshots_loaded": \([0-9]*\).*/\1/p' "$MNT/stats.json"
}

mount_fs "$LOC"
hdr=$MNT/repo1/snap_b/orders/p202401/10013/10013.hdr
ino=$(stat -c %i "$hdr") || fail "stat of a file of snap_b"
loaded=$(loaded)

# SIGHUP.
put snap_c
kill -HUP "$SNAPFS_PID"
until_ok "snap_c after SIGHUP" shows snap_c
row snap_c $ts || fail "no row for snap_c: $(cat "$MNT/repo1/snapshots.tsv")"
pid_alive "$SNAPFS_PID" || fail "SIGHUP ended the daemon"

# ctl/refresh, for the repository and for everything.
put snap_d
echo repo1 >"$MNT/ctl/refresh" ||
    fail "ctl/refresh: $(cat "$MNT/ctl/last_error")"
until_ok "snap_d after ctl/refresh" shows snap_d
row snap_d $ts || fail "no row for snap_d"
put snap_r2 r2
echo >"$MNT/ctl/refresh" ||
    fail "ctl/refresh of all: $(cat "$MNT/ctl/last_error")"
until_ok "r2 after ctl/refresh" shows r2 ""
ctl_refused refresh nosuch "unknown repository nosuch"
# snap_b did not change: its tree stayed, not loaded again.
assert_eq "$(stat -c %i "$hdr")" "$ino" "inode of a file of snap_b"
assert_eq "$(loaded)" "$loaded" "snapshot trees loaded"

# A new timestamp of snap_a: snap_a@<each> shows, snap_a is the newest.
put snap_a
echo repo1 >"$MNT/ctl/refresh"
until_ok "snap_a@2024-03-02 after ctl/refresh" shows snap_a@2024-03-02-16-00-00
shows "snap_a@$ts" || fail "no snap_a@$ts"
row snap_a 2024-03-02-16-00-00 || fail "no row for the new backup of snap_a"
row snap_a $ts || fail "no row for the first backup of snap_a"

# Gone: a dropped snapshot and a removed repository.
held=$MNT/repo1/snap_b/orders/p202401/10013/10013.hdr
cp "$held" "$W/held-orig" || fail "cannot read $held"
exec 3<"$held"
gone "$REPO/__ss_snap_b"
gone __palo_repository_r2
echo >"$MNT/ctl/refresh"
until_ok "snap_b gone" hides snap_b
norow snap_b || fail "snap_b still has a row"
until_ok "r2 gone" hides r2 ""
listed_is_ok_rows "after a drop and a repository removed"
# The file held open reads what is still stored or fails: never other bytes.
if cat <&3 >"$W/held" 2>/dev/null; then
	cmp "$W/held" "$W/held-orig" || fail "the held file read other bytes"
fi
exec 3<&-
pid_alive "$SNAPFS_PID" || fail "the daemon died on a held file"

# A job finds a snapshot made after the mount, before any refresh.
put snap_e
echo repo1.snap_e >"$MNT/ctl/verify" ||
    fail "verify of a new snapshot: $(cat "$MNT/ctl/last_error")"
id=$(ls "$MNT/jobs" | sort -n | tail -n 1)
assert_eq "$(job_end "$id")" FINISHED "verify of snap_e"
umount_fs

# Months of backups: each round another writer adds a snapshot and drops
# the oldest; what the daemon keeps follows (local only: the aws and az
# CLIs take a second or more a call).
if [ "$BACKEND" = local ]; then
	mount_fs "$LOC"
	ls "$MNT/repo1" >/dev/null
	k=0
	while [ $k -lt 20 ]; do
		cp -al "$LOC/$REPO/__ss_snap_a" "$LOC/$REPO/__ss_churn_$k" ||
		    fail "cp -al"
		[ $k -gt 0 ] && rm -rf "$LOC/$REPO/__ss_churn_$((k - 1))"
		echo repo1 >"$MNT/ctl/refresh"
		until_ok "churn_$k after ctl/refresh" shows churn_$k
		k=$((k + 1))
	done
	hides churn_0 || fail "churn_0 still shown"
	listed_is_ok_rows "after 20 snapshots added and 19 dropped"
	umount_fs
fi

# refresh=1: changes show on their own.
mount_fs "$LOC" -o refresh=1
gone "$REPO/__ss_snap_d"
until_ok "snap_d gone with refresh=1" hides snap_d
until_ok "snap_d's row gone with refresh=1" norow snap_d
put snap_d
until_ok "snap_d back with refresh=1" shows snap_d
umount_fs

# A daemon that forked (fstab, systemd without -f) refreshes on SIGHUP too.
if [ "$BACKEND" != local ]; then
	set -- "$RLOC" "$MNT" $ROPTS
else
	set -- "$LOC" "$MNT"
fi
${SNAPFS_WRAPPER:-} "$SNAPFS" "$@" -o refresh=0 >>"$W/log" 2>&1 ||
    fail "snapfs as a daemon did not start"
mountpoint -q "$MNT" || fail "the daemon did not mount"
daemon=$(pgrep -n -f "$MNT") || fail "no daemon for $MNT"
EXTRA_KILL="$EXTRA_KILL $daemon"
ls "$MNT/repo1" >/dev/null
put snap_g
kill -HUP "$daemon"
until_ok "snap_g after SIGHUP to a daemon" shows snap_g
fusermount3 -u "$MNT" || fail "fusermount3 -u of the daemon's mount"
wait_gone "$daemon" 30 "the daemon"

if [ "$BACKEND" != local ]; then
	fault_start
	mount_fs "$RLOC" $FAULT_OPTS
	cp "$MNT/repo1/snapshots.tsv" "$W/before.tsv"
	# Every listing below the repository fails.
	printf '503 match=%s\n' "%2F$REPO%2F" >"$W/fault.new"
	mv "$W/fault.new" "$FAULT_CTL"
	gone "$REPO/__ss_snap_c"
	echo repo1 >"$MNT/ctl/refresh"
	ls "$MNT/repo1" >/dev/null || fail "ls during a failing listing"
	cmp "$MNT/repo1/snapshots.tsv" "$W/before.tsv" ||
	    fail "snapshots.tsv changed though its listing failed"
	shows snap_c || fail "the last listing was not kept"
	grep -q "the last listing stays" "$W/log" ||
	    fail "no log line of the failed listing"
	printf 'pass\n' >"$W/fault.new"
	mv "$W/fault.new" "$FAULT_CTL"
	echo repo1 >"$MNT/ctl/refresh"
	until_ok "snap_c gone once the listing works" hides snap_c
	umount_fs
fi
