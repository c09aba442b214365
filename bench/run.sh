#!/bin/sh
# bench/run.sh - snapfs against the storage itself (a raw curl GET), s3fs
# and rclone mount, in one run on one bucket of a real S3 server (radosgw);
# prints one table and the ratios against the targets of issue 5.
#
#   sh bench/run.sh [--quick] [--columns LIST]
#
# --quick	tiny sizes, a smoke test of the scripts (figures mean nothing)
# --columns	comma-separated, of curl, cold, cache, s3fs, rclone (default:
#		all): which columns to measure; the others print "-"
#
# Environment (sizes in bytes; the defaults are those of issue 5):
#   BENCH_BIG=1073741824	the segment file of snapshot "big"
#   BENCH_SMALL=10000		files of snapshot "small" (a .hdr and 4 .dat
#				per tablet) ...
#   BENCH_SMALL_SIZE=16384	... and the size of each .dat
#   BENCH_TABLETS=100000	files of snapshot "tablets" (1 KiB .dat and
#				its .hdr per tablet)
#   BENCH_TIMEOUT=300		seconds one measurement of a peer may take;
#				past it the cell reads "> N"; snapfs gets 3x
#   BENCH_LIST_TIMEOUT=120	the same for find and ls -lR (snapfs: 3x)
#   BENCH_MEMORY=256M		snapfs -o memory= (when snapfs has it)
#   BENCH_CACHE_SIZE=4G		snapfs -o cache_size= of the cache column
#   BENCH_SRC=DIR		keep the generated repositories there and reuse
#				them on the next run with the same sizes
#   BENCH_DIR=DIR		scratch folder (default: a new one in /tmp)
#   SNAPFS=PATH			the daemon (default: built by tests/build.sh)
#   S3_RGW_DIR=DIR		use this server of tests/s3/rgw.sh instead of
#				starting one (a new bucket, removed at the end)
#   BENCH_BUCKET=NAME		with S3_RGW_DIR: use this bucket and keep it;
#				the upload is skipped when it holds the
#				repositories of the same sizes already
#
# Needs root (FUSE mounts) and the packages of bench/deps.sh.  Every mount
# is unmounted and every server stopped on exit, also on failure.
set -eu
LC_ALL=C
export LC_ALL

top=$(cd "$(dirname "$0")/.." && pwd)
me=bench

BIG=${BENCH_BIG:-1073741824}
SMALL=${BENCH_SMALL:-10000}
SMALL_SIZE=${BENCH_SMALL_SIZE:-16384}
TABLETS=${BENCH_TABLETS:-100000}
TMO=${BENCH_TIMEOUT:-300}
LTMO=${BENCH_LIST_TIMEOUT:-120}
MEMORY=${BENCH_MEMORY:-256M}
CACHE_SIZE=${BENCH_CACHE_SIZE:-4G}
COLUMNS_ALL="curl cold cache s3fs rclone"
columns=$COLUMNS_ALL
quick=

while [ $# -gt 0 ]; do
	case $1 in
	--quick)
		quick=1
		BIG=${BENCH_BIG:-8388608}
		SMALL=${BENCH_SMALL:-100}
		SMALL_SIZE=${BENCH_SMALL_SIZE:-4096}
		TABLETS=${BENCH_TABLETS:-1000}
		TMO=${BENCH_TIMEOUT:-60}
		LTMO=${BENCH_LIST_TIMEOUT:-60}
		CACHE_SIZE=${BENCH_CACHE_SIZE:-256M}
		;;
	--columns)
		[ $# -ge 2 ] || { echo "$me: --columns needs a list" >&2; exit 2; }
		columns=$(echo "$2" | tr ',' ' ')
		for c in $columns; do
			case " $COLUMNS_ALL " in
			*" $c "*) ;;
			*) echo "$me: unknown column $c" >&2; exit 2 ;;
			esac
		done
		shift
		;;
	*)
		echo "usage: sh bench/run.sh [--quick] [--columns" \
		    "curl,cold,cache,s3fs,rclone]" >&2
		exit 2
		;;
	esac
	shift
done

die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }
want() { case " $columns " in *" $1 "*) return 0 ;; esac; return 1; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }

[ "$(id -u)" -eq 0 ] || die "needs root (FUSE mounts, packages)"
for p in curl python3 rsync timeout fusermount3 mountpoint; do
	command -v "$p" >/dev/null 2>&1 || die "$p missing: run sh bench/deps.sh"
done
want s3fs && { command -v s3fs >/dev/null 2>&1 || die "s3fs missing: run sh bench/deps.sh"; }
want rclone && { command -v rclone >/dev/null 2>&1 || die "rclone missing: run sh bench/deps.sh"; }

if [ -z "${SNAPFS:-}" ]; then
	say "building snapfs (tests/build.sh)"
	sh "$top/tests/build.sh" || die "build failed"
	SNAPFS=${BUILD:-$top/build}/src/snapfs
fi
[ -x "$SNAPFS" ] || die "no snapfs at $SNAPFS"

# --- scratch, cleanup ---

D=${BENCH_DIR:-}
if [ -z "$D" ]; then
	D=$(mktemp -d /tmp/snapfs-bench.XXXXXX)
else
	mkdir -p "$D"
fi
D=$(cd "$D" && pwd -P)
MNT=$D/mnt
mkdir -p "$MNT"
PIDS=			# mount daemons still to reap
RGW=
OWN_RGW=
BUCKET=

cleanup()
{
	_rc=$1
	trap - EXIT INT TERM HUP
	set +e
	for _m in $(awk -v d="$D/" 'index($2, d) == 1 { print $2 }' \
	    /proc/mounts | sort -r); do
		fusermount3 -u "$_m" 2>/dev/null ||
		    fusermount3 -uz "$_m" 2>/dev/null || umount -l "$_m"
	done
	for _p in $PIDS; do
		kill -TERM "$_p" 2>/dev/null
	done
	for _p in $PIDS; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -KILL "$_p" 2>/dev/null
	done
	if [ -n "$OWN_RGW" ]; then
		sh "$top/tests/s3/rgw.sh" stop "$OWN_RGW"
	elif [ -n "$RGW" ] && [ -n "$BUCKET" ] && [ -z "${BENCH_BUCKET:-}" ]; then
		sh "$top/tests/s3/aws.sh" "$RGW" s3 rb --force \
		    "s3://$BUCKET" >/dev/null 2>&1
	fi
	[ "$_rc" -ne 0 ] && [ -s "$D/log" ] && {
		echo "--- last lines of $D/log:" >&2
		tail -n 30 "$D/log" >&2
	}
	if [ -z "${BENCH_DIR:-}" ]; then
		rm -rf "$D"
	else
		rm -rf "$MNT" "$D/dst" "$D/cache"
	fi
	exit "$_rc"
}
trap 'cleanup $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
: >"$D/log"

# --- S3 server and bucket ---

free_port()
{
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [ -n "${S3_RGW_DIR:-}" ]; then
	RGW=$S3_RGW_DIR
else
	say "starting radosgw"
	RGW=$D/rgw
	OWN_RGW=$RGW
	# bluestore: gigabytes in a memstore OSD's memory would be too many
	S3_RGW_STORE=${S3_RGW_STORE:-bluestore} \
	    sh "$top/tests/s3/rgw.sh" start "$RGW" "$(free_port)" ||
	    die "could not start radosgw"
fi
S3_ENDPOINT= S3_KEY= S3_SECRET= S3_REGION=
eval "$(sh "$top/tests/s3/rgw.sh" env "$RGW")" || die "no server in $RGW"
AWS_ACCESS_KEY_ID=$S3_KEY
AWS_SECRET_ACCESS_KEY=$S3_SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
BUCKET=snapfs-bench-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
if [ -n "${BENCH_BUCKET:-}" ]; then
	[ -n "$OWN_RGW" ] && die "BENCH_BUCKET needs S3_RGW_DIR"
	BUCKET=$BENCH_BUCKET
fi

# curl with the S3 signature, as a script that timeout can run:
# $S3CURL ARGS... URL
S3CURL=$D/s3curl
cat >"$S3CURL" <<EOF
#!/bin/sh
exec curl -sS --no-progress-meter --aws-sigv4 "aws:amz:$S3_REGION:s3" --user '$S3_KEY:$S3_SECRET' \\
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "\$@"
EOF
chmod 700 "$S3CURL"
s3curl() { "$S3CURL" "$@"; }

# Query values for SigV4 (curl 7.88 signs the query as given).  Keys here
# hold only [A-Za-z0-9_./-] and rgw's tokens no more than these.
enc()
{
	printf %s "$1" |
	    sed 's/%/%25/g; s|/|%2F|g; s/+/%2B/g; s/=/%3D/g; s/ /%20/g; s/&/%26/g'
}

# s3_count PREFIX: the number of keys under PREFIX, by a paginated
# ListObjectsV2 (1000 keys a page, one page after the other).
s3_count()
{
	_n=0 _tok= _p=$(enc "$1")
	while :; do
		_q="list-type=2&max-keys=1000&prefix=$_p"
		[ -n "$_tok" ] && _q="continuation-token=$(enc "$_tok")&$_q"
		s3curl -f -o "$D/page.xml" "$S3_ENDPOINT/$BUCKET?$_q" ||
		    return 1
		# one awk for the page: its key count and next token
		set -- $(awk '{ n += gsub(/<Key>/, "&") }
		    match($0, /<NextContinuationToken>[^<]*/) {
		    t = substr($0, RSTART + 23, RLENGTH - 23) }
		    END { print n + 0, t }' "$D/page.xml")
		_n=$((_n + $1))
		_tok=${2:-}
		[ -n "$_tok" ] || break
	done
	echo "$_n"
}

# --- the repositories ---

REPO=__palo_repository_bench
SRC=${BENCH_SRC:-$D/src}
stamp="big=$BIG small=$SMALL/$SMALL_SIZE tablets=$TABLETS v1"
if [ -f "$SRC/.bench" ] && [ "$(cat "$SRC/.bench")" = "$stamp" ]; then
	say "reusing the repositories in $SRC"
else
	say "generating the repositories in $SRC"
	rm -rf "$SRC"
	mkdir -p "$SRC"
	mk() { nice python3 "$top/tests/mkrepo.py" "$SRC/loc" --repo bench \
	    --views '' "$@" || die "mkrepo.py $* failed"; }
	mk --label big --tables 'big:=1:1' --files-per-tablet 2 --big "$BIG"
	mk --label small --tablets $(((SMALL + 4) / 5)) --files-per-tablet 5 \
	    --file-size "$SMALL_SIZE"
	mk --label tablets --tablets $(((TABLETS + 1) / 2)) \
	    --files-per-tablet 2 --file-size 1024
	echo "$stamp" >"$SRC/.bench"
fi
LOC=$SRC/loc
BIGKEY=$(cd "$LOC" && find "$REPO/__ss_big" -type f -size +"$((BIG / 1024 - 1))"k)
[ -n "$BIGKEY" ] || die "no big file in $LOC/$REPO/__ss_big"
NSMALL=$(find "$LOC/$REPO/__ss_small/__ss_content" -type f | wc -l)
NTABLETS=$(find "$LOC/$REPO/__ss_tablets/__ss_content" -type f | wc -l)
# The big file's path in the snapshot folder, from the info object.
BIGPATH=$(python3 "$top/tests/mkrepo.py" --expect-files \
    "$LOC/$REPO/__ss_big/"__info_* | awk -F '\t' -v k="${BIGKEY#*/__ss_big/}" \
    '$2 == k { print $1 }')
[ -n "$BIGPATH" ] || die "the big file is not in the info object"

(cd "$LOC" && find . -type f | sed 's|^\./||') >"$D/keys"
if [ "$(s3curl "$S3_ENDPOINT/$BUCKET/bench-stamp" 2>/dev/null)" = "$stamp" ]
then
	say "s3://$BUCKET holds these repositories already"
else
	say "uploading to s3://$BUCKET/loc/ ($(du -sh "$LOC" | cut -f 1))"
	t0=$(now)
	s3curl -f -X PUT -o /dev/null "$S3_ENDPOINT/$BUCKET" ||
	    die "cannot create bucket $BUCKET"
	awk -v e="$S3_ENDPOINT/$BUCKET/loc/" '{ printf "url = \"%s%s\"\n" \
	    "upload-file = \"%s\"\n", e, $0, $0 }' "$D/keys" >"$D/put.cfg"
	(cd "$LOC" && nice "$S3CURL" -Z --parallel-max 32 -f -o /dev/null \
	    -H "Content-Type: application/octet-stream" -K "$D/put.cfg") \
	    >>"$D/log" 2>&1 || say "some uploads failed; syncing the rest"
	nkeys=$(wc -l <"$D/keys")
	n=$(s3_count loc/) || die "cannot list the bucket"
	if [ "$n" -ne "$nkeys" ]; then
		sh "$top/tests/s3/aws.sh" "$RGW" s3 sync "$LOC" "s3://$BUCKET/loc/" \
		    >>"$D/log" 2>&1 || die "upload failed"
		n=$(s3_count loc/) || die "cannot list the bucket"
		[ "$n" -eq "$nkeys" ] || die "$n objects in the bucket, not $nkeys"
	fi
	say "uploaded $nkeys objects in $(since "$t0") s"
	s3curl -f -X PUT --data-binary "$stamp" -o /dev/null \
	    "$S3_ENDPOINT/$BUCKET/bench-stamp" || die "cannot write bench-stamp"
fi

# --- results ---

# res ROW COLUMN VALUE
res() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$D/results"; }
: >"$D/results"

# timed LIMIT COMMAND...: run it with a time limit; prints seconds (2
# decimals), "> LIMIT" when it ran out, "fail" when it failed.
timed()
{
	_lim=$1
	shift
	_t0=$(now)
	_st=0
	timeout -k 10 "$_lim" "$@" >/dev/null 2>>"$D/log" || _st=$?
	case $_st in
	0)	since "$_t0" ;;
	124|137) echo "> $_lim" ;;
	*)	echo "fail"; echo "$me: $* exited $_st" >>"$D/log" ;;
	esac
}

# mbps BYTES SECONDS
mbps()
{
	case $2 in
	[0-9]*) awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.001;
	    printf "%.0f", b / 1e6 / s }' ;;
	"> "*) awk -v b="$1" -v s="${2#> }" 'BEGIN { printf "< %.0f", b / 1e6 / s }' ;;
	*) echo "$2" ;;
	esac
}

# ttfb FILE: milliseconds from open to the first 4 KiB (FILE looked up
# before the clock starts).
ttfb()
{
	timeout -k 10 "$TMO" python3 -c '
import os, sys, time
p = sys.argv[1]
os.stat(p)
t = time.perf_counter()
fd = os.open(p, os.O_RDONLY)
os.read(fd, 4096)
print("%.1f" % ((time.perf_counter() - t) * 1000))
' "$1" 2>>"$D/log" || echo fail
}

# --- mounts ---

MPID=
PEAK=0			# the largest VmHWM (KiB) of this column's daemons

has_opt() { grep -aq -- "$1" "$SNAPFS"; }

# Read-only, as s3fs and rclone are mounted here (a writable mount, for
# ctl/, walks a tree a second time slower: see ro in snapfs(8)).
snapfs_opts="endpoint=$S3_ENDPOINT,path_style,ro"
budget=
if has_opt 'memory='; then
	snapfs_opts="$snapfs_opts,memory=$MEMORY"
	budget=$MEMORY
fi

# mount_fs KIND [snapfs options]: mount the bucket's loc/ on $MNT.
mount_fs()
{
	_kind=$1
	shift
	echo "=== mount $_kind $*" >>"$D/log"
	case $_kind in
	cold|cache)
		"$SNAPFS" -f "s3://$BUCKET/loc" "$MNT" -o "$snapfs_opts${1:+,$1}" \
		    >>"$D/log" 2>&1 &
		;;
	s3fs)
		s3fs "$BUCKET:/loc" "$MNT" -f -o "ro,passwd_file=$D/s3fs.passwd" \
		    -o "url=$S3_ENDPOINT,use_path_request_style" \
		    >>"$D/log" 2>&1 &
		;;
	rclone)
		env -u AWS_CA_BUNDLE rclone --config "$D/rclone.conf" mount \
		    "rgw:$BUCKET/loc" "$MNT" --read-only >>"$D/log" 2>&1 &
		;;
	esac
	MPID=$!
	PIDS="$PIDS $MPID"
	_deadline=$(($(date +%s) + 60))
	while ! mountpoint -q "$MNT"; do
		kill -0 "$MPID" 2>/dev/null || die "$_kind exited before the mount"
		[ "$(date +%s)" -le "$_deadline" ] || die "$_kind: no mount in 60 s"
		sleep 0.05
	done
}

umount_fs()
{
	_hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MPID/status" 2>/dev/null ||
	    echo 0)
	[ "${_hwm:-0}" -gt "$PEAK" ] && PEAK=$_hwm
	fusermount3 -u "$MNT" 2>>"$D/log" || fusermount3 -uz "$MNT" ||
	    umount -l "$MNT"
	_i=0
	while kill -0 "$MPID" 2>/dev/null; do
		[ $_i -eq 300 ] && kill -TERM "$MPID" 2>/dev/null
		[ $_i -eq 400 ] && kill -KILL "$MPID" 2>/dev/null
		sleep 0.05
		_i=$((_i + 1))
	done
	wait "$MPID" 2>/dev/null || :
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$MPID" | tr '\n' ' ')
	MPID=
}

printf '%s:%s\n' "$S3_KEY" "$S3_SECRET" >"$D/s3fs.passwd"
chmod 600 "$D/s3fs.passwd"
cat >"$D/rclone.conf" <<EOF
[rgw]
type = s3
provider = Ceph
access_key_id = $S3_KEY
secret_access_key = $S3_SECRET
endpoint = $S3_ENDPOINT
region = $S3_REGION
EOF

# --- measurements ---

# The paths in each kind of mount: snapfs shows the snapshot folders,
# the peers the objects under their keys (the same files, byte for byte).
paths()
{
	case $1 in
	cold|cache)
		P_BIG=$MNT/bench/big/$BIGPATH
		P_SMALL=$MNT/bench/small
		P_TABLETS=$MNT/bench/tablets
		;;
	*)
		P_BIG=$MNT/$BIGKEY
		P_SMALL=$MNT/$REPO/__ss_small
		P_TABLETS=$MNT/$REPO/__ss_tablets
		;;
	esac
}

# A file system column; $2 (cache only) are extra snapfs options.
measure_fs()
{
	_c=$1
	_o=${2:-}
	_lim=$TMO _llim=$LTMO
	case $_c in cold|cache) _lim=$((TMO * 3)) _llim=$((LTMO * 3)) ;; esac
	paths "$_c"
	PEAK=0
	say "$_c: time to first byte"
	mount_fs "$_c" "$_o"
	res ttfb "$_c" "$(ttfb "$P_BIG")"
	umount_fs

	say "$_c: sequential read"
	mount_fs "$_c" "$_o"
	_t=$(timed "$_lim" dd if="$P_BIG" of=/dev/null bs=1M)
	res read "$_c" "$(mbps "$BIG" "$_t")"
	if [ -n "$quick" ] && [ "$_c" != s3fs ] && [ "$_c" != rclone ]; then
		_sum=$(md5sum <"$P_BIG" | cut -d ' ' -f 1)
		[ "$_sum" = "${BIGKEY##*.}" ] ||
		    die "$_c: the big file reads back with md5 $_sum"
	fi
	umount_fs

	say "$_c: rsync -a"
	mount_fs "$_c" "$_o"
	rm -rf "$D/dst"
	_t=$(timed "$_lim" rsync -a "$P_SMALL/" "$D/dst/")
	res rsync "$_c" "$_t"
	_n=$(find "$D/dst" -type f -name '*.dat*' | wc -l)
	_w=$(find "$LOC/$REPO/__ss_small" -type f -name '*.dat*' | wc -l)
	case $_t in
	[0-9]*)	[ "$_n" -eq "$_w" ] ||
		    die "$_c: rsync copied $_n .dat files, not $_w" ;;
	">"*)	res rsync_part "$_c" "$_n/$_w" ;;	# how far it got
	esac
	rm -rf "$D/dst"
	umount_fs

	for _cmd in find lslr; do
		say "$_c: $_cmd"
		mount_fs "$_c" "$_o"
		case $_cmd in
		find)	set -- find "$P_TABLETS" ;;
		lslr)	set -- ls -lR "$P_TABLETS" ;;
		esac
		_t=$(timed "$_llim" "$@")
		res "${_cmd}_cold" "$_c" "$_t"
		case $_t in
		[0-9]*)	res "${_cmd}_warm" "$_c" "$(timed "$_llim" "$@")" ;;
		*)	res "${_cmd}_warm" "$_c" "n/a" ;;
		esac
		umount_fs
	done
	res rss "$_c" "$(awk -v k="$PEAK" 'BEGIN { printf "%.0f", k / 1024 }')"
}

measure_curl()
{
	say "curl: time to first byte, sequential read"
	res ttfb curl "$(s3curl -f -o /dev/null -r 0-4095 \
	    -w '%{time_starttransfer}' "$S3_ENDPOINT/$BUCKET/loc/$BIGKEY" |
	    awk '{ printf "%.1f", $1 * 1000 }')"
	_t=$(timed "$TMO" "$S3CURL" -f -o /dev/null \
	    "$S3_ENDPOINT/$BUCKET/loc/$BIGKEY")
	res read curl "$(mbps "$BIG" "$_t")"

	# The small files: every key of the snapshot, 64 GETs in flight.
	say "curl: GET of the small files"
	grep "^$REPO/__ss_small/" "$D/keys" | awk -v e="$S3_ENDPOINT/$BUCKET/loc/" \
	    -v d="$D/dst/" '{ printf "url = \"%s%s\"\noutput = \"%s%s\"\n",
	    e, $0, d, $0 }' >"$D/get.cfg"
	rm -rf "$D/dst"
	_t=$(timed "$TMO" "$S3CURL" -f -Z --parallel-max 64 --create-dirs \
	    -K "$D/get.cfg")
	res rsync curl "$_t"
	rm -rf "$D/dst"

	# The tablet files: the listing that gives names, sizes and times.
	say "curl: listing of the tablet files"
	_t0=$(now)
	_n=$(s3_count "loc/$REPO/__ss_tablets/") || _n=fail
	_t=$(since "$_t0")
	[ "$_n" = fail ] && _t=fail
	res find_cold curl "$_t"
	res lslr_cold curl "$_t"

	# Warm, the floor is the kernel's: the same files on the local disk.
	say "curl column, warm: find and ls -lR of the local copy"
	for _cmd in find lslr; do
		case $_cmd in
		find)	set -- find "$LOC/$REPO/__ss_tablets" ;;
		lslr)	set -- ls -lR "$LOC/$REPO/__ss_tablets" ;;
		esac
		timed "$LTMO" "$@" >/dev/null
		res "${_cmd}_warm" curl "$(timed "$LTMO" "$@")"
	done
}

want curl && measure_curl
want cold && measure_fs cold
if want cache; then
	if has_opt 'cache_dir='; then
		# Fill the cache, then measure a new mount over it.
		mkdir -p "$D/cache"
		o="cache_dir=$D/cache,cache_size=$CACHE_SIZE"
		say "cache: filling $D/cache"
		paths cache
		mount_fs cache "$o"
		cat "$P_BIG" >/dev/null
		rsync -a "$P_SMALL/" "$D/dst/"
		rm -rf "$D/dst"
		umount_fs
		measure_fs cache "$o"
		rm -rf "$D/cache"
	else
		say "cache: this snapfs has no -o cache_dir: n/a"
		for r in ttfb read rsync find_cold find_warm lslr_cold \
		    lslr_warm rss; do
			res "$r" cache n/a
		done
	fi
fi
want s3fs && measure_fs s3fs
want rclone && measure_fs rclone

# --- the table ---

ver()
{
	case $1 in
	snapfs)	"$SNAPFS" -V 2>/dev/null | awk '{ sub(/;$/, "", $2); print $2; exit }' ;;
	*)	dpkg-query -W -f='${Version}' "$1" 2>/dev/null ;;
	esac
}

{
	echo "snapfs bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r), load $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo "versions: snapfs $(ver snapfs), radosgw $(ver radosgw), curl $(ver curl), s3fs $(ver s3fs), rclone $(ver rclone)"
	echo "snapfs options: -o $snapfs_opts${budget:+ (memory budget $budget)}"
	echo
} >"$D/table"

awk -F '\t' -v big="$BIG" -v nsmall="$NSMALL" -v ntab="$NTABLETS" \
    -v budget="$budget" -v cols="$columns" '
function fmtn(n) { return n >= 1000 ? sprintf("%d,%03d", n / 1000, n % 1000) : n }
function val(r, c) { return ((r, c) in v) ? v[r, c] : "-" }
function num(s) { return s ~ /^[0-9.]+$/ }
# s: a cell; lower bound for "> N"
function lo(s) { return s ~ /^[<>] / ? substr(s, 3) + 0 : s + 0 }
function bytes(s,   n, u) {
	n = s + 0; u = toupper(substr(s, length(s)))
	if (u == "K") n *= 1024; else if (u == "M") n *= 1048576
	else if (u == "G") n *= 1073741824
	return n
}
{ v[$1, $2] = $3 }
END {
	name["read"] = sprintf("sequential read, %d MiB file (MB/s)", big / 1048576)
	name["rsync"] = sprintf("rsync -a, %s small files (s)", fmtn(nsmall))
	name["find_cold"] = sprintf("find, %s files, cold (s)", fmtn(ntab))
	name["find_warm"] = sprintf("find, %s files, warm (s)", fmtn(ntab))
	name["lslr_cold"] = sprintf("ls -lR, %s files, cold (s)", fmtn(ntab))
	name["lslr_warm"] = sprintf("ls -lR, %s files, warm (s)", fmtn(ntab))
	name["ttfb"] = "time to first byte (ms)"
	name["rss"] = "peak RSS of the daemon (MiB)"
	split("read rsync find_cold find_warm lslr_cold lslr_warm ttfb rss", rows, " ")
	split("curl cold cache s3fs rclone", cs, " ")
	head["curl"] = "curl (limit)"; head["cold"] = "snapfs cold"
	head["cache"] = "snapfs disk cache"; head["s3fs"] = "s3fs"
	head["rclone"] = "rclone mount"
	printf "| %-38s |", ""
	for (i = 1; i <= 5; i++) printf " %17s |", head[cs[i]]
	printf "\n|%s|", "----------------------------------------"
	for (i = 1; i <= 5; i++) printf "%s|", "------------------:"
	printf "\n"
	for (j = 1; j <= 8; j++) {
		printf "| %-38s |", name[rows[j]]
		for (i = 1; i <= 5; i++) printf " %17s |", val(rows[j], cs[i])
		printf "\n"
	}
	# A peer whose rsync ran out of time: how far it got, and the pace.
	sep = "\n"
	for (i = 1; i <= 5; i++) {
		if (!(("rsync_part", cs[i]) in v))
			continue
		split(v["rsync_part", cs[i]], f, "/")
		if (f[1] == 0)
			continue
		t = lo(v["rsync", cs[i]])
		printf "%s%s rsync: %d of %d .dat files in %s s, about %.0f s for all\n",
		    sep, head[cs[i]], f[1], f[2], t, t * f[2] / f[1]
		sep = ""
	}
	printf "\ncurl column: find and ls -lR cold are one paginated ListObjectsV2\n"
	printf "of the files (1,000 keys a page); warm, find and ls -lR of the same\n"
	printf "files on the local disk, page cache warm (no storage is faster).\n"
	printf "\nTargets of issue 5 item 4:\n"
	# ratio lines: what, snapfs cell, other cell, kind (hi: higher is
	# better, lo: lower is better), target
	t = 0
	T[++t] = "cold read >= 85% of curl|read|cold|curl|pct|85"
	T[++t] = "cold read >= 1.5x s3fs|read|cold|s3fs|xhi|1.5"
	T[++t] = "cold read >= 1.5x rclone|read|cold|rclone|xhi|1.5"
	T[++t] = "rsync >= 20x faster than s3fs|rsync|cold|s3fs|xlo|20"
	T[++t] = "rsync >= 20x faster than rclone|rsync|cold|rclone|xlo|20"
	T[++t] = "find warm < 1 s|find_warm|cold||lt|1"
	T[++t] = "ls -lR warm < 1 s|lslr_warm|cold||lt|1"
	T[++t] = "disk cache read >= 1 GB/s|read|cache||ge|1000"
	T[++t] = "peak RSS <= budget + 64 MiB (cold)|rss|cold||rss|64"
	T[++t] = "peak RSS <= budget + 64 MiB (cache)|rss|cache||rss|64"
	for (k = 1; k <= t; k++) {
		split(T[k], f, "|")
		a = val(f[2], f[3]); b = f[4] != "" ? val(f[2], f[4]) : ""
		out = "n/a"; ok = ""
		if (!num(a) || (f[4] != "" && !(num(b) || b ~ /^[<>] [0-9]/))) {
			out = "n/a (" a (f[4] != "" ? " vs " b : "") ")"
		} else if (f[5] == "pct") {
			r = 100 * a / b
			out = sprintf("%.0f%% (%s vs %s MB/s)", r, a, b)
			ok = r >= f[6]
		} else if (f[5] == "xhi") {
			r = a / lo(b)
			out = sprintf("%s%.1fx (%s vs %s MB/s)",
			    b ~ /^</ ? "> " : "", r, a, b)
			ok = r >= f[6]
		} else if (f[5] == "xlo") {
			r = lo(b) / (a > 0 ? a : 0.01)
			out = sprintf("%s%.0fx (%s vs %s s)", b ~ /^>/ ? "> " : "", r, a, b)
			ok = r >= f[6]
		} else if (f[5] == "lt") {
			out = sprintf("%s s", a); ok = a < f[6]
		} else if (f[5] == "ge") {
			out = sprintf("%s MB/s", a); ok = a >= f[6]
		} else if (f[5] == "rss") {
			if (budget == "") {
				out = sprintf("n/a (%s MiB; no -o memory= budget)", a)
			} else {
				lim = bytes(budget) / 1048576 + f[6]
				out = sprintf("%s MiB vs %.0f MiB", a, lim)
				ok = a <= lim
			}
		}
		printf "  %-38s %-40s %s\n", f[1], out,
		    ok == "" ? "" : (ok ? "met" : "MISSED")
	}
}' "$D/results" >>"$D/table"

cat "$D/table"
