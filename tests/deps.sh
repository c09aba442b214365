#!/bin/sh
# Install Debian packages that are missing: the ones named, or by default
# what snapfs needs to build, run and be tested.  Does nothing when
# everything is there already.
set -eu

PACKAGES=${*:-"gcc make autoconf automake pkg-config
	fuse3 libfuse3-dev libssl-dev libcurl4-openssl-dev libxml2-dev libzstd-dev
	libcriterion-dev
	mandoc rsync python3 procps"}

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
