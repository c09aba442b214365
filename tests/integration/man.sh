#!/bin/sh
# The manual page is clean mdoc.
set -eu
: "${srcdir:=.}"
out=$(${MANDOC:-mandoc} -T lint -W warning "$srcdir/man/snapfs.8" 2>&1) || {
	echo "$out"
	exit 1
}
[ -z "$out" ] || { echo "$out"; exit 1; }
