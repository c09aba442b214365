#!/bin/sh
# broker.sh - the storage interface the jobs write through: put an object
# in one piece and, past 16 MiB, in parts; read it back whole and by
# ranges; stat and list it; remove it; an upload that fails leaves nothing
# behind (no object, no .part, no unfinished multipart upload).
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

[ -x "$BROKERTOOL" ] || fail "brokertool not found at $BROKERTOOL"
writable_location
bt()
{
	"$BROKERTOOL" $STORE_OPTS "$STORE" "$@"
}

head -c 1000 /dev/urandom >"$W/small"
head -c 40000000 /dev/urandom >"$W/big"	# three parts on S3
bt put "a/small:1.dat.x" "$W/small" || fail "put small"
bt put "a/b/big 订单+@.dat" "$W/big" || fail "put big"

bt get "a/small:1.dat.x" | cmp - "$W/small" || fail "small read back"
bt get "a/b/big 订单+@.dat" | cmp - "$W/big" || fail "big read back"
bt get "a/b/big 订单+@.dat" 17000000 5 >"$W/range" || fail "range get"
dd if="$W/big" bs=1 skip=17000000 count=5 2>/dev/null | cmp - "$W/range" ||
    fail "range read back"
assert_eq "$(bt get "a/small:1.dat.x" 990 100 | wc -c)" 10 "read past the end"
set -- $(bt stat "a/b/big 订单+@.dat") || fail "stat big"
assert_eq "$3" 40000000 "size of big"

bt ls a/ | cut -f 1,2 >"$W/ls.txt"
assert_text "$W/ls.txt" "listing of a/" <<'END'
a/b/
a/small:1.dat.x	1000
END
bt ls -r a/ | cut -f 1 >"$W/all.txt"
assert_text "$W/all.txt" "recursive listing of a/" <<'END'
a/b/big 订单+@.dat
a/small:1.dat.x
END

# A source that ends early: the upload fails and leaves nothing.
bt put "a/short" "$W/big" 50000000 2>"$W/err" && fail "short upload worked"
bt put "a/shorter" "$W/small" 2000 2>>"$W/err" && fail "short put worked"
bt stat "a/short" 2>/dev/null && fail "a failed upload left an object"
bt stat "a/shorter" 2>/dev/null && fail "a failed put left an object"
case $BACKEND in
s3)	s3_aws s3api list-multipart-uploads --bucket "$BUCKET" >"$W/mpu.txt" ||
	    fail "list-multipart-uploads failed"
	grep -q UploadId "$W/mpu.txt" &&
	    fail "a failed upload left a multipart upload: $(cat "$W/mpu.txt")" ;;
azure)	;;	# uncommitted blocks are no blob; Azure drops them in a week
*)	[ -z "$(find "$STORE" -name '*.part')" ] || fail "a .part was left" ;;
esac

bt rm "a/b/big 订单+@.dat" || fail "rm big"
bt rm "a/b/big 订单+@.dat" || fail "rm of a missing object is an error"
bt rm "a/small:1.dat.x" || fail "rm small"
assert_eq "$(bt ls -r "" | wc -l)" 0 "objects left"
