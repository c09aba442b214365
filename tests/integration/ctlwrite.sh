#!/bin/sh
# ctlwrite.sh - a write to a control file starts a job only if it
# succeeds: a write of two lines is refused whole (EINVAL) and starts
# nothing, whichever line would have been refused; a line over 64 KiB is
# refused; ctl/last_error always holds the latest refusal's reason; lines
# written one per write are taken as before.
. "${srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

DATA=$W/data
LOC=$W/loc
mkrepo "$LOC" --label lbl1
mkdir -p "$DATA/shop/t/p/1001"
echo data >"$DATA/shop/t/p/1001/1001.hdr"
mount_fs "$LOC" -o data="$DATA"

jobs()
{
	ls "$MNT/jobs" | wc -l
}
# write1 FILE TEXT: one write(2) of TEXT (printf escapes) to ctl/FILE;
# prints the errno's name, or OK.
write1()
{
	python3 - "$MNT/ctl/$1" "$2" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    os.write(fd, sys.argv[2].encode().decode("unicode_escape").encode())
    print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
}
refused_whole()	# FILE LINES WHAT
{
	assert_eq "$(write1 "$1" "$2")" EINVAL "$3: the write"
	grep -q "one line per write" "$MNT/ctl/last_error" ||
	    fail "$3: last_error is '$(cat "$MNT/ctl/last_error")'"
	assert_eq "$(jobs)" 0 "$3: jobs started"
}

refused_whole verify 'repo1.nosuch\nrepo1.lbl1\n' "a bad line, then a good one"
refused_whole verify 'repo1.lbl1\nrepo1.nosuch\n' "a good line, then a bad one"
refused_whole backup 'shop.a TO repo1\nshop.b TO repo1\n' "two backups"

# A line longer than 64 KiB; then the reason is that, not the last one.
ctl_refused verify 'nosuch' "not found"
python3 -c 'import sys; sys.stdout.write("x" * 70000 + "\n")' >"$W/long"
if cat "$W/long" >"$MNT/ctl/verify" 2>"$W/err"; then
	fail "a 70,000-byte line was taken"
fi
grep -q "line longer than 65536 bytes" "$MNT/ctl/last_error" ||
    fail "last_error is '$(cat "$MNT/ctl/last_error")'"
assert_eq "$(jobs)" 0 "jobs after the long line"

# Trailing empty lines are no second line; one line per write is taken,
# and a refusal after an accepted line is the one last_error holds.
assert_eq "$(write1 verify 'repo1.lbl1\n\n')" OK \
    "a line with an empty one after it: $(cat "$MNT/ctl/last_error")"
assert_eq "$(job_end 1)" FINISHED "verify of lbl1"
[ -z "$(cat "$MNT/ctl/last_error")" ] ||
    fail "last_error after an accepted line: $(cat "$MNT/ctl/last_error")"
{ echo 'shop.a TO repo1'; echo 'repo1.lbl1'; } >"$MNT/ctl/backup" 2>"$W/err" &&
    fail "the second line (no such table) was taken"
assert_eq "$(job_end 2)" FINISHED "the backup of the first line"
grep -q "unknown database repo1" "$MNT/ctl/last_error" ||
    fail "last_error: $(cat "$MNT/ctl/last_error")"
umount_fs
