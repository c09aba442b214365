#!/bin/sh
#
# Copy one Doris backup repository from one storage to another, byte for
# byte, through the /.raw/ tree of snapfs(8), then check the copy.
#
# usage: migrate.sh location repo destination
#
#   location     what snapfs mounts: /path, file:///path or
#                s3://bucket[/prefix]
#   repo         the repository name, as in __palo_repository_<repo>
#   destination  a directory that becomes a repository location: the copy
#                lands in destination/__palo_repository_<repo>/
#
# Environment:
#   SNAPFS       the snapfs program (default: snapfs)
#   SNAPFS_OPTS  -o options for snapfs, such as endpoint=URL,path_style;
#                S3 keys come from AWS_ACCESS_KEY_ID and
#                AWS_SECRET_ACCESS_KEY, never from the command line
#
# The copy keeps the md5-suffixed keys, so Doris (CREATE REPOSITORY ... ON
# LOCATION "file://destination") or snapfs can use the destination as it
# is.  snapfs checks every tablet and info file against its md5 while
# rsync reads it; a damaged file makes rsync fail and this script stop.
# The second pass is a dry run that compares contents (--checksum) and
# also lists files that exist only in the destination (--delete); it must
# print nothing.

set -eu

prog=${0##*/}

usage()
{
	echo "usage: $prog location repo destination" >&2
	exit 2
}

die()
{
	echo "$prog: $*" >&2
	exit 1
}

[ $# -eq 3 ] || usage
location=$1
repo=$2
dest=$3
case $repo in
''|*/*|*.*)
	die "bad repository name: $repo"
	;;
esac

snapfs=${SNAPFS:-snapfs}
mnt=
diffs=
mounted=no

# Unmount and clean up however the script ends.
cleanup()
{
	if [ "$mounted" = yes ]; then
		fusermount3 -u "$mnt" || fusermount3 -uz "$mnt" || :
	fi
	if [ -n "$mnt" ]; then
		rmdir "$mnt" 2>/dev/null || :
	fi
	if [ -n "$diffs" ]; then
		rm -f "$diffs"
	fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

mnt=$(mktemp -d "${TMPDIR:-/tmp}/snapfs-migrate.XXXXXX")
diffs=$(mktemp "${TMPDIR:-/tmp}/snapfs-migrate.XXXXXX")

# Without -f, snapfs returns once the mount is ready, or fails with a
# one-line message and leaves nothing mounted.
if [ -n "${SNAPFS_OPTS:-}" ]; then
	"$snapfs" -o "$SNAPFS_OPTS" "$location" "$mnt" ||
	    die "cannot mount $location"
else
	"$snapfs" "$location" "$mnt" || die "cannot mount $location"
fi
mounted=yes

src=$mnt/.raw/__palo_repository_$repo
dst=$dest/__palo_repository_$repo
[ -d "$src" ] || die "no repository $repo at $location"
mkdir -p "$dst"

echo "$prog: copying $location/__palo_repository_$repo to $dst"
rsync -a --checksum "$src/" "$dst/" || die "rsync failed; copy incomplete"

echo "$prog: checking $dst"
rsync -a --checksum --delete --dry-run --itemize-changes \
    "$src/" "$dst/" >"$diffs" || die "rsync check failed"
if [ -s "$diffs" ]; then
	cat "$diffs" >&2
	die "$dst differs from the source (see the lines above)"
fi
echo "$prog: $dst matches $location/__palo_repository_$repo"
