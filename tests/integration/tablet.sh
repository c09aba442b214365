#!/bin/sh
# tablet.sh - each tablet folder has tablet.txt, decoded from the tablet
# header: ids, schema hash, and each rowset's id, versions, rows, sizes
# and segments; a header that does not decode or is damaged says why;
# sizes are exact; listing folders (find) fetches no header, and the
# first lookup fetches the next tablets' headers with its own, on into
# the next partition.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --broken badhdr
SS=$LOC/__palo_repository_repo1/__ss_snap_20240301
hdr=$(ls "$SS"/__ss_content/__db_10001/__tbl_10010/__part_10011/__idx_10012/__10014/10014.hdr.*)
python3 -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-1] ^= 1
open(p, "wb").write(b)' "$hdr" || fail "cannot damage $hdr"
mount_fs "$LOC"
S=$MNT/repo1/snap_20240301

reads()
{
	sed -n 's/^ *"read_requests": \([0-9]*\).*/\1/p' "$MNT/stats.json"
}
ls "$S" >/dev/null
before=$(reads)
n=$(find "$S" -name tablet.txt | wc -l)
[ "$n" -eq "$(find "$SS/__ss_content" -name '*.hdr.*' | wc -l)" ] ||
    fail "$n tablet.txt files"
assert_eq "$(reads)" "$before" "reads made by find"

# The first lookup fetches the headers of the next tablets too, on into
# the next partition: once the fetches it started are over (the count of
# reads holds still), the last tablet's needs none.
settled_reads()
{
	_r=$(reads) _k=0
	while sleep 0.5 && [ "$(reads)" != "$_r" ] && [ $_k -lt 60 ]; do
		_r=$(reads) _k=$((_k + 1))
	done
	echo "$_r"
}
A=$S/orders/p202401
P=$S/orders/p202402
first=$(ls "$A" | grep -v partition.txt | head -n 1)
last=$(ls "$P" | grep -v partition.txt | tail -n 1)
stat "$A/$first/tablet.txt" >/dev/null
before=$(settled_reads)
stat "$P/$last/tablet.txt" >/dev/null
assert_eq "$(reads)" "$before" "reads made by the next partition's tablet.txt"

# A good header, against what the generator wrote: one rowset per .dat.
for t in $(ls "$P" | grep -v partition.txt); do
	pid=$(sed -n 's/^Id: //p' "$P/partition.txt")
	hash=$(sed -n 's/^SchemaHash: //p' "$P/partition.txt")
	{
		printf 'Tablet: %s\nTable: 10010\nPartition: %s\n' "$t" "$pid"
		printf 'SchemaHash: %s\n' "$hash"
		printf 'Rowsets: %s\n' "$(ls "$P/$t" | grep -c '\.dat$')"
		v=2
		for d in $(ls "$P/$t" | grep '\.dat$'); do
			size=$(stat -c %s "$P/$t/$d")
			printf 'Rowset: %s\nVersions: %s-%s\nRows: %s\n' \
			    "${d%_0.dat}" $v $v $((size / 100))
			printf 'DiskSize: %s\nDataSize: %s\nIndexSize: 0\n' \
			    "$size" "$size"
			printf 'Segments: 1\n'
			v=$((v + 1))
		done
	} >"$W/want.txt"
	assert_text "$P/$t/tablet.txt" "tablet $t" <"$W/want.txt"
done

T=$S/orders/p202401
grep -q '^Error: header: adler32 of the protobuf is' "$T/10013/tablet.txt" ||
    fail "bad header: $(cat "$T/10013/tablet.txt")"
grep -q "^Error: the header's md5 does not match its name" \
    "$T/10014/tablet.txt" || fail "damaged header: $(cat "$T/10014/tablet.txt")"

# Sizes are exact, for ls -l, stat and a copy alike.
for f in $(find "$S" -name tablet.txt); do
	assert_eq "$(stat -c %s "$f")" "$(wc -c <"$f")" "size of $f"
done
cp -r "$P" "$W/copy" || fail "cp -r of a partition failed"
diff -r "$P" "$W/copy" || fail "the copy of $P differs"
cp -r "$T" "$W/copy2" 2>/dev/null && fail "a damaged .hdr was copied"
umount_fs
