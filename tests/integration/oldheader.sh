#!/bin/sh
# oldheader.sh - a tablet header that is not a TabletMetaPB (the older
# message of Palo and Doris up to 0.10) is not decoded: tablet.txt says so,
# with what its FileHeader says, and shows no ids; the next tablet's
# header still decodes; verify reports the header, with the reason.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

LOC=$W/loc
mkrepo "$LOC" --old-header 10013
mount_fs "$LOC"
T=$MNT/repo1/snap_20240301/orders/p202401

txt=$(cat "$T/10013/tablet.txt") || fail "cannot read tablet.txt"
want='Header: not a TabletMetaPB (an older Palo/Doris header message?), not'
printf '%s\n' "$txt" | grep -qxF "$want decoded" || fail "old header: $txt"
want='^FileHeader: 40 bytes, version 1, protobuf [0-9]* bytes, adler32'
printf '%s\n' "$txt" | grep -q "$want [0-9a-f]\{8\} ok\$" ||
    fail "old header's FileHeader: $txt"
printf '%s\n' "$txt" | grep -q -e '^Tablet: ' -e 'Tablet: 10008' &&
    fail "old header decoded: $txt"
assert_eq "$(stat -c %s "$T/10013/tablet.txt")" \
    "$(wc -c <"$T/10013/tablet.txt")" "size of the old header's tablet.txt"
grep -qx 'Tablet: 10014' "$T/10014/tablet.txt" ||
    fail "next tablet: $(cat "$T/10014/tablet.txt")"
echo repo1.snap_20240301 >"$MNT/ctl/verify" || fail "verify refused"
assert_eq "$(job_end 1)" FINISHED "verify"
grep -q "__10013/10013.hdr.*: not its tablet's header: field " \
    "$MNT/jobs/1/report.txt" || fail "report: $(cat "$MNT/jobs/1/report.txt")"
umount_fs
