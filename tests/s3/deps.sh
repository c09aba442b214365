#!/bin/sh
# Install what the S3 tests need: a single-node Ceph with radosgw (a real
# S3 server that checks SigV4) and Debian's aws-cli (/usr/bin/aws).
# Does nothing when everything is there already.
set -eu

PACKAGES="ceph-mon ceph-osd radosgw ceph-common awscli"

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "s3/deps.sh: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "s3/deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
