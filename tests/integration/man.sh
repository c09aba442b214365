#!/bin/sh
# The manual page is clean mdoc.
set -eu
: "${srcdir:=.}"
out=$(${MANDOC:-mandoc} -T lint -W warning "$srcdir/man/snapfs.8" 2>&1) || {
	echo "$out"
	exit 1
}
[ -z "$out" ] || { echo "$out"; exit 1; }

# Each quoted status renders as written: an mdoc macro name such as No
# inside .Ql once ate a word ("ERROR: info file found").
text=$(${MANDOC:-mandoc} -T ascii "$srcdir/man/snapfs.8" |
    sed 's/.\x08//g' | tr -s ' \n' '  ')
for status in "ERROR: No info file found" "ERROR: more than one info file"; do
	want=$(grep -c -F "$status" "$srcdir/man/snapfs.8")
	got=$(printf '%s\n' "$text" | grep -o -F "$status" | wc -l)
	[ "$got" -eq "$want" ] || {
		echo "man: \"$status\" is written $want times, rendered $got"
		exit 1
	}
done
