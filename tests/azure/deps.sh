#!/bin/sh
# Install what the Azure tests need: Debian's azure-cli (the az CLI, to
# upload and list blobs the way a user would) and Azurite, Microsoft's
# Blob Storage emulator, from the npm registry (Debian has no package).
# Azurite goes into its own prefix, AZURITE_PREFIX (default
# /opt/snapfs-azurite), not npm's global one: nothing else on the machine
# can then upgrade or remove it under us, and azurite.sh knows where to
# look.  Does nothing when both are there already; says what it installed
# and how long it took.  Run as root.
set -u

me=azure/deps.sh
here=$(cd "$(dirname "$0")" && pwd)
PREFIX=${AZURITE_PREFIX:-/opt/snapfs-azurite}
# The major version only: 3 is the one whose command line and account key
# azurite.sh and tests/lib.sh rely on.
AZURITE_SPEC=azurite@3

die() { echo "$me: $*" >&2; exit 1; }

t=$(date +%s)
if ! command -v az >/dev/null 2>&1; then
	sh "$here/../deps.sh" azure-cli ||
	    die "cannot install Debian's azure-cli (apt-get failed, see above)"
	command -v az >/dev/null 2>&1 ||
	    die "azure-cli is installed but there is no az command"
	echo "$me: installed azure-cli" \
	    "$(dpkg-query -W -f='${Version}' azure-cli) in $(($(date +%s) - t)) s"
fi

t=$(date +%s)
if [ ! -x "$PREFIX/node_modules/.bin/azurite-blob" ]; then
	command -v npm >/dev/null 2>&1 ||
	    die "npm not found (Node.js and npm are needed for Azurite)"
	[ -w "$(dirname "$PREFIX")" ] || [ -w "$PREFIX" ] ||
	    die "cannot write to $PREFIX (run as root, or set AZURITE_PREFIX)"
	mkdir -p "$PREFIX" || die "cannot create $PREFIX"
	log=$PREFIX/npm-install.log
	# No audit, funding or update notices: they are noise, and the
	# audit is one more request to the registry.
	if ! npm install --prefix "$PREFIX" --omit=dev --no-audit --no-fund \
	    --no-update-notifier --loglevel=error "$AZURITE_SPEC" \
	    </dev/null >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "npm install $AZURITE_SPEC into $PREFIX failed (log above," \
		    "all of it in $log)"
	fi
	[ -x "$PREFIX/node_modules/.bin/azurite-blob" ] ||
	    die "npm installed $AZURITE_SPEC but not azurite-blob" \
	    "($PREFIX/node_modules/.bin)"
	v=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' \
	    "$PREFIX/node_modules/azurite/package.json" | head -n 1)
	echo "$me: installed azurite $v into $PREFIX in" \
	    "$(($(date +%s) - t)) s"
fi
exit 0
