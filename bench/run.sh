#!/bin/sh
# bench/run.sh - snapfs against the storage itself (a raw curl GET), s3fs
# and rclone mount, in one run on one bucket of a real S3 server (radosgw),
# and snapfs on a local Azure Blob server (Azurite) beside it; prints the
# tables and the ratios against the targets of issue 5 and of
# the issues "A repository of a thousand snapshots lists in a second" and
# "A mount that lives for months".
#
#   sh bench/run.sh [--quick] [--columns LIST] [--rows LIST]
#		    [--link TTFB,RATE | --link none]
#
# --quick	tiny sizes, a smoke test of the scripts (figures mean nothing)
# --columns	comma-separated, of curl, cold, cache, s3fs, rclone, azure
#		(default: all): which columns to measure; the others print
#		"-".  azure is snapfs cold on Azurite, in the rows time to
#		first byte, sequential read and rsync only: az uploads some
#		50 files a second, so only the snapshots "big" and "small"
#		go there
# --rows	comma-separated, of files (the rows of issue 5: a big file,
#		small files, 100,000 files), snapshots (ls and cat
#		snapshots.tsv of a repository of 1,000 snapshots) and live
#		(snapfs only: the daemon's RSS after walking 1, 10 and 100
#		snapshots of a local location, one refresh of the 1,000
#		snapshots, and the seconds from another writer's upload of
#		an info object to its row in snapshots.tsv); default all
# --link	every row is measured twice: on loopback (radosgw answers in
#		well under a millisecond), then on a far link, each column
#		through bench/linkproxy.py, which holds each answer until
#		TTFB has passed since its request and caps each connection
#		at RATE bytes a second (default 20ms,80MB: a real S3 answers
#		in 10-50 ms and carries 50-100 MB/s a connection); none
#		measures on loopback only; the azure column has a proxy of
#		its own in front of Azurite, with the same link
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
#   BENCH_LIST_TIMEOUT=120	the same for find and ls -lR (snapfs: 3x), and
#				for ls and cat snapshots.tsv
#   BENCH_SNAPSHOTS=1000	snapshots of the repository of the rows
#				"snapshots" (a __meta, 4 small content files
#				and an info object each) ...
#   BENCH_INFO_SIZE=1048576	... and the size of each info object, about
#				(the info of as many tablets as it takes)
#   BENCH_LIVE_TABLETS=20000	tablets of each snapshot of the local
#				location the rows "live" walk ...
#   BENCH_LIVE_WALKS="1 10 100"	... and after how many snapshots walked
#				the daemon's RSS is taken
#   BENCH_META_MEMORY=32M	snapfs -o meta_memory= of those walks (when
#				snapfs has it)
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
#   AZURE_DIR=DIR		column azure: use this Azurite of
#				tests/azure/azurite.sh instead of starting one
#				(a new container, removed at the end)
#
# Needs root (FUSE mounts) and the packages of bench/deps.sh (Azurite and
# the az CLI among them, for the column azure).  Every mount
# is unmounted and every server and proxy stopped on exit, also on failure.
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
SNAPS=${BENCH_SNAPSHOTS:-1000}
INFO_SIZE=${BENCH_INFO_SIZE:-1048576}
COLUMNS_ALL="curl cold cache s3fs rclone azure"
columns=$COLUMNS_ALL
LIVE_TABLETS=${BENCH_LIVE_TABLETS:-20000}
LIVE_WALKS=${BENCH_LIVE_WALKS:-1 10 100}
META_MEMORY=${BENCH_META_MEMORY:-32M}
ROWS_ALL="files snapshots live"
rows=$ROWS_ALL
link=20ms,80MB
quick=
MD5RATE=			# md5sum on one core, MB/s (the header)

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
		SNAPS=${BENCH_SNAPSHOTS:-50}
		INFO_SIZE=${BENCH_INFO_SIZE:-262144}
		LIVE_TABLETS=${BENCH_LIVE_TABLETS:-200}
		LIVE_WALKS=${BENCH_LIVE_WALKS:-1 2 3}
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
	--rows)
		[ $# -ge 2 ] || { echo "$me: --rows needs a list" >&2; exit 2; }
		rows=$(echo "$2" | tr ',' ' ')
		for r in $rows; do
			case " $ROWS_ALL " in
			*" $r "*) ;;
			*) echo "$me: unknown rows $r" >&2; exit 2 ;;
			esac
		done
		shift
		;;
	--link)
		[ $# -ge 2 ] ||
		    { echo "$me: --link needs TTFB,RATE" >&2; exit 2; }
		link=$2
		shift
		;;
	*)
		echo "usage: sh bench/run.sh [--quick] [--columns" \
		    "curl,cold,cache,s3fs,rclone,azure]" \
		    "[--rows files,snapshots,live]" \
		    "[--link TTFB,RATE|none]" >&2
		exit 2
		;;
	esac
	shift
done

# The far link: LINK_TTFB in ms, LINK_RATE as linkproxy.py takes it.
PROFILES="loopback far"
LINK_TTFB= LINK_RATE=
case $link in
none)	PROFILES=loopback ;;
*,*)	LINK_TTFB=${link%%,*}
	LINK_TTFB=${LINK_TTFB%ms}
	LINK_RATE=${link#*,}
	LINK_RATE=${LINK_RATE%/s}
	case $LINK_TTFB in
	''|*[!0-9.]*) echo "$me: bad time to first byte in --link $link" >&2
		exit 2 ;;
	esac
	case $LINK_RATE in
	[0-9]*[!0-9.kKMGB]*|[!0-9]*|'')
		echo "$me: bad rate in --link $link (like 80MB)" >&2; exit 2 ;;
	esac
	;;
*)	echo "$me: --link wants TTFB,RATE (like 20ms,80MB) or none" >&2
	exit 2 ;;
esac

die() { echo "$me: $*" >&2; exit 1; }
say() { echo "$me: $*" >&2; }
want() { case " $columns " in *" $1 "*) return 0 ;; esac; return 1; }
want_rows() { case " $rows " in *" $1 "*) return 0 ;; esac; return 1; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }'; }
# fmtn(n) for the awk programs of the tables: 1234567 is 1,234,567.
AWK_FMTN='function fmtn(n) { if (n < 1000) return n
    return fmtn(int(n / 1000)) sprintf(",%03d", n % 1000) }'

[ "$(id -u)" -eq 0 ] || die "needs root (FUSE mounts, packages)"
for p in curl python3 rsync timeout fusermount3 mountpoint; do
	command -v "$p" >/dev/null 2>&1 || die "$p missing: run sh bench/deps.sh"
done
# The interpreter itself: a version manager's shim (pyenv) costs most of
# a second a start, on each measurement.
PYTHON=$(python3 -c 'import sys; print(sys.executable)') ||
    die "python3 does not run"
want s3fs && { command -v s3fs >/dev/null 2>&1 || die "s3fs missing: run sh bench/deps.sh"; }
want rclone && { command -v rclone >/dev/null 2>&1 || die "rclone missing: run sh bench/deps.sh"; }
# The column azure measures rows "files" only.
if want azure && want_rows files; then
	for p in /usr/bin/az node; do
		[ -x "$p" ] || command -v "$p" >/dev/null 2>&1 ||
		    die "$p missing: run sh bench/deps.sh"
	done
fi

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
PIDS=			# mount daemons (and a poller) still to reap
LPID=			# linkproxy.py, while the far link is measured
LIVEKEY=		# another writer's info object, until it is removed
RGW=
OWN_RGW=
BUCKET=
OWN_AZ=			# the Azurite this run started
CONTAINER=		# the column azure's container, until it is removed

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
	[ -n "$LPID" ] && { kill -TERM "$LPID"; wait "$LPID"; } 2>/dev/null
	[ -n "$LIVEKEY" ] && s3curl -X DELETE -o /dev/null \
	    "$S3_ENDPOINT/$BUCKET/$LIVEKEY"
	if [ -n "$OWN_RGW" ]; then
		sh "$top/tests/s3/rgw.sh" stop "$OWN_RGW"
	elif [ -n "$RGW" ] && [ -n "$BUCKET" ] && [ -z "${BENCH_BUCKET:-}" ]; then
		sh "$top/tests/s3/aws.sh" "$RGW" s3 rb --force \
		    "s3://$BUCKET" >/dev/null 2>&1
	fi
	# Before the rm -rf: Azurite writes its database as it stops.
	if [ -n "$OWN_AZ" ]; then
		sh "$top/tests/azure/azurite.sh" stop "$OWN_AZ"
	elif [ -n "$CONTAINER" ]; then
		az_storage container delete -n "$CONTAINER" -o none \
		    >/dev/null 2>&1
	fi
	[ "$_rc" -ne 0 ] && [ -s "$D/log" ] && {
		echo "--- last lines of $D/log:" >&2
		tail -n 30 "$D/log" >&2
	}
	if [ -z "${BENCH_DIR:-}" ]; then
		rm -rf "$D"
	else
		rm -rf "$MNT" "$D/dst" "$D/cache" "$D/cache-snaps" "$D/az"
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
	"$PYTHON" -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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
S3_ENDPOINT=${S3_ENDPOINT%/}
RGW_PORT=${S3_ENDPOINT##*:}
case $RGW_PORT in
''|*[!0-9]*) die "no port in the server's endpoint $S3_ENDPOINT" ;;
esac
# The endpoint that the measurements use: the server, or the far link's
# proxy in front of it.
EP=$S3_ENDPOINT
AWS_ACCESS_KEY_ID=$S3_KEY
AWS_SECRET_ACCESS_KEY=$S3_SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
BUCKET=snapfs-bench-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
if [ -n "${BENCH_BUCKET:-}" ]; then
	[ -n "$OWN_RGW" ] && die "BENCH_BUCKET needs S3_RGW_DIR"
	BUCKET=$BENCH_BUCKET
fi

# --- Azurite and its container (the column azure) ---

# az_storage ARGS...: Debian's az CLI, "az storage ARGS", against Azurite.
az_storage()
{
	/usr/bin/az storage "$@" --connection-string "$AZURE_CONNECTION_STRING"
}

if want azure && want_rows files; then
	if [ -n "${AZURE_DIR:-}" ]; then
		AZ=$AZURE_DIR
	else
		say "starting azurite"
		AZ=$D/azurite
		OWN_AZ=$AZ
		sh "$top/tests/azure/azurite.sh" start "$AZ" "$(free_port)" ||
		    die "could not start azurite"
	fi
	AZURE_ENDPOINT= AZURE_ACCOUNT= AZURE_KEY= AZURE_CONNECTION_STRING=
	eval "$(sh "$top/tests/azure/azurite.sh" env "$AZ")" ||
	    die "no azurite in $AZ"
	AZ_PORT=${AZURE_ENDPOINT#http://127.0.0.1:}
	AZ_PORT=${AZ_PORT%%/*}
	case $AZ_PORT in
	''|*[!0-9]*) die "no port in azurite's endpoint $AZURE_ENDPOINT" ;;
	esac
	# The endpoint of the azure mounts: Azurite, or the far link's proxy.
	AZ_EP=$AZURE_ENDPOINT
	# snapfs takes a connection string or a SAS token before the account
	# key: only the key, so that the endpoint is the one of -o endpoint.
	unset AZURE_STORAGE_CONNECTION_STRING AZURE_STORAGE_SAS_TOKEN
	AZURE_STORAGE_ACCOUNT=$AZURE_ACCOUNT
	AZURE_STORAGE_KEY=$AZURE_KEY
	# az: its configuration here (nothing in ~), no telemetry (it would
	# try to send it at every call), no notices in the log.
	AZURE_CONFIG_DIR=$D/az
	AZURE_CORE_COLLECT_TELEMETRY=false
	AZURE_CORE_ONLY_SHOW_ERRORS=true
	AZURE_CORE_NO_COLOR=true
	AZURE_CORE_SURVEY_MESSAGE=false
	export AZURE_STORAGE_ACCOUNT AZURE_STORAGE_KEY AZURE_CONFIG_DIR \
	    AZURE_CORE_COLLECT_TELEMETRY AZURE_CORE_ONLY_SHOW_ERRORS \
	    AZURE_CORE_NO_COLOR AZURE_CORE_SURVEY_MESSAGE
	CONTAINER=snapfs-bench-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
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

# s3_list PREFIX: "KEYS PAGES BYTES" of every key under PREFIX, by a
# paginated ListObjectsV2 at $EP (1000 keys a page, without a delimiter,
# one page after the other: how Doris lists a repository).
s3_list()
{
	_n=0 _pages=0 _bytes=0 _tok= _p=$(enc "$1")
	while :; do
		_q="list-type=2&max-keys=1000&prefix=$_p"
		[ -n "$_tok" ] && _q="continuation-token=$(enc "$_tok")&$_q"
		s3curl -f -o "$D/page.xml" "$EP/$BUCKET?$_q" || return 1
		# one awk for the page: its key count, size and next token
		set -- $(awk '{ n += gsub(/<Key>/, "&"); b += length($0) + 1 }
		    match($0, /<NextContinuationToken>[^<]*/) {
		    t = substr($0, RSTART + 23, RLENGTH - 23) }
		    END { print n + 0, b + 0, t }' "$D/page.xml")
		_n=$((_n + $1))
		_pages=$((_pages + 1))
		_bytes=$((_bytes + $2))
		_tok=${3:-}
		[ -n "$_tok" ] || break
	done
	echo "$_n $_pages $_bytes"
}

# s3_count PREFIX: the number of keys under PREFIX.
s3_count()
{
	_l=$(s3_list "$1") || return 1
	set -- $_l
	echo "$1"
}

# --- the repositories ---

REPO=__palo_repository_bench
SREPO=__palo_repository_snaps
SRC=${BENCH_SRC:-$D/src}
mkdir -p "$SRC"
LOC=$SRC/loc
SLOC=$SRC/snaps
stamp="big=$BIG small=$SMALL/$SMALL_SIZE tablets=$TABLETS v1"
sstamp="snapshots=$SNAPS info=$INFO_SIZE v2"

if want_rows files; then
	if [ -f "$SRC/.bench" ] && [ "$(cat "$SRC/.bench")" = "$stamp" ]; then
		say "reusing the repositories in $LOC"
	else
		say "generating the repositories in $LOC"
		rm -rf "$LOC" "$SRC/.bench"
		mk() { nice "$PYTHON" "$top/tests/mkrepo.py" "$LOC" \
		    --repo bench --views '' "$@" || die "mkrepo.py $* failed"; }
		mk --label big --tables 'big:=1:1' --files-per-tablet 2 \
		    --big "$BIG"
		mk --label small --tablets $(((SMALL + 4) / 5)) \
		    --files-per-tablet 5 --file-size "$SMALL_SIZE"
		mk --label tablets --tablets $(((TABLETS + 1) / 2)) \
		    --files-per-tablet 2 --file-size 1024
		echo "$stamp" >"$SRC/.bench"
	fi
	BIGKEY=$(cd "$LOC" && find "$REPO/__ss_big" -type f \
	    -size +"$((BIG / 1024 - 1))"k)
	[ -n "$BIGKEY" ] || die "no big file in $LOC/$REPO/__ss_big"
	NSMALL=$(find "$LOC/$REPO/__ss_small/__ss_content" -type f | wc -l)
	NTABLETS=$(find "$LOC/$REPO/__ss_tablets/__ss_content" -type f | wc -l)
	# The big file's path in the snapshot folder, from the info object.
	BIGPATH=$("$PYTHON" "$top/tests/mkrepo.py" --expect-files \
	    "$LOC/$REPO/__ss_big/"__info_* | awk -F '\t' \
	    -v k="${BIGKEY#*/__ss_big/}" '$2 == k { print $1 }')
	[ -n "$BIGPATH" ] || die "the big file is not in the info object"
fi

# The repository "snaps" of SNAPS snapshots, in one python run: each
# snapshot has a __meta, an info object of about INFO_SIZE bytes (one
# table of as many tablets as that takes, 100 a partition, in the shape
# of tests/mkrepo.py's era 3.0) and the 4 files of its first 2 tablets;
# the other tablets' files are named in the info but not stored, as no
# row opens a snapshot.  The snapshots differ in their label, timestamp
# and so md5.  Prints the size of an info object and its tablets.
gen_snaps()
{
	nice "$PYTHON" - "$SLOC" snaps "$SNAPS" "$INFO_SIZE" "$top/tests" <<'EOF'
import datetime, hashlib, os, struct, sys
loc, repo, n, info_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4])
sys.path.insert(0, sys.argv[5])
import mkrepo

DB, STORED, BUCKETS = 10001, 2, 100


def body(ntab):
    """The info's text after its backup_time, for ntab tablets, with @D@
    for the timestamp's digits; and the stored files [(key, bytes)]."""
    tables, _ = mkrepo.build_model(mkrepo.scale_tables(ntab, BUCKETS), DB,
                                   [])
    t = tables[0]
    files, parts, alltab = [], [], []
    for p in t.parts:
        ix = p.indexes[0]
        tabs = []
        for tablet in ix.tablets:
            alltab.append(tablet)
            dat = mkrepo.Gen.dat_name(tablet, 0)
            if len(alltab) > STORED:
                h = hashlib.md5(b"%d" % tablet).hexdigest()
                names = [dat + "." + h, "%d.hdr.%s" % (tablet, h)]
            else:
                data = hashlib.shake_128(b"%d" % tablet).digest(1024)
                hdr = mkrepo.hdr_bytes(t, p, ix, tablet, [
                    (dat[:-len("_0.dat")], 2, len(data))])
                names = []
                for name, b in ((dat, data), ("%d.hdr" % tablet, hdr)):
                    name += "." + hashlib.md5(b).hexdigest()
                    names.append(name)
                    files.append((
                        "__ss_content/__db_%d/__tbl_%d/__part_%d/__idx_%d/"
                        "__%d/%s" % (DB, t.id, p.id, ix.id, tablet, name), b))
            tabs.append('"%d":[%s]' % (tablet, ",".join('"%s"' % x
                                                        for x in names)))
        parts.append('"%s":{"id":%d,"version":%d,"indexes":{"%s":{"id":%d,'
                     '"schema_hash":%d,"tablets":{%s},"tablets_order":[%s]}}}'
                     % (p.name, p.id, p.version, ix.name, ix.id,
                        ix.schema_hash, ",".join(tabs),
                        ",".join(str(x) for x in ix.tablets)))
    text = (
        ',"content":"ALL","backup_objects":{"%s":{"id":%d,"partitions":{%s}'
        '}},"new_backup_objects":{"views":[],"odbc_tables":[],'
        '"odbc_resources":[]},"backup_result":"succeed","meta_version":140,'
        '"major_version":3,"minor_version":0,"patch_version":3,'
        '"is_force_replication_allocation":false,"tablet_be_map":{%s},'
        '"tablet_snapshot_path_map":{%s},"table_commit_seq_map":{"%d":3412},'
        '"tblalias":{}}' % (
            t.name, t.id, ",".join(parts),
            ",".join('"%d":%d' % (x, 10003 if x % 2 else 10002)
                     for x in alltab),
            ",".join('"%d":"/opt/doris/be/storage/snapshot/@D@.%d.86400"'
                     % (x, x % 100) for x in alltab), t.id))
    return text, files


# As many tablets as make about info_size bytes.
ntab = max(STORED, info_size * 100 // len(body(100)[0]))
ntab = max(STORED, ntab * info_size // len(body(ntab)[0]))
text, files = body(ntab)
root = os.path.join(loc, "__palo_repository_" + repo)
os.makedirs(root)
with open(os.path.join(root, "__repo_info"), "w") as f:
    f.write('{"name":"%s","create_time":"2023-12-31 00:00:00"}' % repo)
js = b'{"tblNameMap":{},"resourceNameMap":{}}'
meta = struct.pack(">i", len(js)) + js
size = 0
t0 = datetime.datetime(2024, 1, 1)
for i in range(n):
    # one an hour from 2024-01-01 00:00
    ts = (t0 + datetime.timedelta(hours=i)).strftime("%Y-%m-%d-%H-%M-%S")
    label = "snap_%05d" % i
    ss = os.path.join(root, "__ss_" + label)
    info = ('{"name":"%s","database":"bench","id":%d,"backup_time":%d'
            % (label, DB, mkrepo.parse_ts(ts, 8)) +
            text.replace("@D@", ts.replace("-", ""))).encode()
    size = len(info)
    for key, b in [("__info_%s.%s" % (ts, hashlib.md5(info).hexdigest()),
                    info),
                   ("__meta." + hashlib.md5(meta).hexdigest(), meta)] + files:
        path = os.path.join(ss, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(b)
print(size, ntab)
EOF
}

if want_rows snapshots || want_rows live; then
	if [ -f "$SRC/.snaps" ] && [ "$(cat "$SRC/.snaps")" = "$sstamp" ]; then
		say "reusing the repository of $SNAPS snapshots in $SLOC"
	else
		say "generating a repository of $SNAPS snapshots in $SLOC"
		rm -rf "$SLOC" "$SRC/.snaps"
		gen_snaps >"$SRC/.snaps-info" || die "cannot generate $SLOC"
		echo "$sstamp" >"$SRC/.snaps"
	fi
	read -r INFO_BYTES INFO_TABLETS <"$SRC/.snaps-info"
	NSKEYS=$(find "$SLOC" -type f | wc -l)
fi

# The local location of the rows "live": repository "live" of as many
# snapshots as the last of LIVE_WALKS, of LIVE_TABLETS tablets each (a
# .hdr and a 1-byte .dat), one made by tests/mkrepo.py and the others
# hard links of its files under another label (its info object renamed
# in its text and in its md5).
LLOC=$SRC/live
NLIVE=0
for n in $LIVE_WALKS; do
	NLIVE=$n
done
lstamp="tablets=$LIVE_TABLETS snapshots=$NLIVE v1"
if want_rows live; then
	if [ -f "$SRC/.live" ] && [ "$(cat "$SRC/.live")" = "$lstamp" ]; then
		say "reusing the local location of $NLIVE snapshots in $LLOC"
	else
		say "generating a local location of $NLIVE snapshots of" \
		    "$LIVE_TABLETS tablets in $LLOC"
		rm -rf "$LLOC" "$SRC/.live"
		nice "$PYTHON" "$top/tests/mkrepo.py" "$LLOC" --repo live \
		    --label s00000 --views '' --tablets "$LIVE_TABLETS" \
		    --files-per-tablet 2 --file-size 1 >/dev/null ||
		    die "mkrepo.py failed"
		_r=$LLOC/__palo_repository_live
		_i=1
		while [ "$_i" -lt "$NLIVE" ]; do
			nice cp -al "$_r/__ss_s00000" \
			    "$_r/__ss_$(printf 's%05d' "$_i")" ||
			    die "cp -al failed"
			_i=$((_i + 1))
		done
		nice "$PYTHON" - "$_r" <<'EOF' || die "cannot rename the infos"
import glob, hashlib, os, sys
for d in sorted(glob.glob(os.path.join(sys.argv[1], "__ss_s*")))[1:]:
    old = glob.glob(os.path.join(d, "__info_*"))[0]
    b = open(old, "rb").read().replace(
        b'"name":"s00000"', b'"name":"%s"' % d[-6:].encode(), 1)
    os.unlink(old)
    with open(old.rsplit(".", 1)[0] + "." + hashlib.md5(b).hexdigest(),
              "wb") as f:
        f.write(b)
EOF
		echo "$lstamp" >"$SRC/.live"
	fi
fi

# upload NAME DIR STAMP: every file under DIR to s3://BUCKET/NAME/, unless
# the bucket's object NAME-stamp (loc: bench-stamp) says STAMP already.
upload()
{
	_name=$1 _dir=$2 _stamp=$3 _so=$1-stamp
	[ "$_name" = loc ] && _so=bench-stamp
	(cd "$_dir" && find . -type f | sed 's|^\./||') >"$D/keys.$_name"
	if [ "$(s3curl "$S3_ENDPOINT/$BUCKET/$_so" 2>/dev/null)" = "$_stamp" ]
	then
		say "s3://$BUCKET/$_name/ holds these objects already"
		return 0
	fi
	say "uploading to s3://$BUCKET/$_name/ ($(du -sh "$_dir" | cut -f 1))"
	_t0=$(now)
	s3curl -f -I -o /dev/null "$S3_ENDPOINT/$BUCKET" 2>/dev/null ||
	    s3curl -f -X PUT -o /dev/null "$S3_ENDPOINT/$BUCKET" ||
	    die "cannot create bucket $BUCKET"
	awk -v e="$S3_ENDPOINT/$BUCKET/$_name/" '{ printf "url = \"%s%s\"\n" \
	    "upload-file = \"%s\"\n", e, $0, $0 }' "$D/keys.$_name" \
	    >"$D/put.cfg"
	(cd "$_dir" && nice "$S3CURL" -Z --parallel-max 32 -f -o /dev/null \
	    -H "Content-Type: application/octet-stream" -K "$D/put.cfg") \
	    >>"$D/log" 2>&1 || say "some uploads failed; syncing the rest"
	_nkeys=$(wc -l <"$D/keys.$_name")
	_n=$(s3_count "$_name/") || die "cannot list the bucket"
	if [ "$_n" -ne "$_nkeys" ]; then
		sh "$top/tests/s3/aws.sh" "$RGW" s3 sync "$_dir" \
		    "s3://$BUCKET/$_name/" >>"$D/log" 2>&1 || die "upload failed"
		_n=$(s3_count "$_name/") || die "cannot list the bucket"
		[ "$_n" -eq "$_nkeys" ] ||
		    die "$_n objects under $_name/, not $_nkeys"
	fi
	say "uploaded $_nkeys objects in $(since "$_t0") s"
	s3curl -f -X PUT --data-binary "$_stamp" -o /dev/null \
	    "$S3_ENDPOINT/$BUCKET/$_so" || die "cannot write $_so"
}

# az_upload PATH...: the folders and files PATH of $LOC to the container's
# loc/, under the same names as in the bucket.
az_upload()
{
	say "uploading $* to azure container $CONTAINER (az)"
	_t0=$(now)
	az_storage container create -n "$CONTAINER" -o none >>"$D/log" 2>&1 ||
	    die "cannot create the container $CONTAINER"
	_nkeys=0
	for _p in "$@"; do
		if [ -d "$LOC/$_p" ]; then
			az_storage blob upload-batch -d "$CONTAINER" \
			    --destination-path "loc/$_p" -s "$LOC/$_p" \
			    --no-progress -o none --max-connections 16 \
			    >>"$D/log" 2>&1 || die "az upload of $_p failed"
			_nkeys=$((_nkeys + $(find "$LOC/$_p" -type f | wc -l)))
		else
			az_storage blob upload -c "$CONTAINER" -n "loc/$_p" \
			    -f "$LOC/$_p" --no-progress -o none \
			    >>"$D/log" 2>&1 || die "az upload of $_p failed"
			_nkeys=$((_nkeys + 1))
		fi
	done
	_n=$(az_storage blob list -c "$CONTAINER" --prefix loc/ \
	    --num-results '*' --query 'length(@)' -o tsv 2>>"$D/log") ||
	    die "cannot list the container $CONTAINER"
	[ "$_n" = "$_nkeys" ] || die "$_n blobs under loc/ in azure, not $_nkeys"
	say "uploaded $_nkeys blobs in $(since "$_t0") s"
}

if want_rows files; then
	upload loc "$LOC" "$stamp"
	cp "$D/keys.loc" "$D/keys"
	# The azure rows' snapshots only (not "tablets": az is slow).
	if want azure; then
		_r=
		[ -f "$LOC/$REPO/__repo_info" ] && _r=$REPO/__repo_info
		az_upload "$REPO/__ss_big" "$REPO/__ss_small" $_r
	fi
fi
if want_rows snapshots || want_rows live; then
	upload snaps "$SLOC" "$sstamp"
fi

# --- results ---

# res ROW COLUMN VALUE, into the results of the profile measured
# ($D/results.loopback, $D/results.far)
PROF=loopback
res() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$D/results.$PROF"; }
rm -f "$D/results.loopback" "$D/results.far"
for p in $PROFILES; do
	: >"$D/results.$p"
done

# timed LIMIT COMMAND...: run it with a time limit; prints seconds (2
# decimals), "> LIMIT" when it ran out, "fail" when it failed.
timed() { timed_to /dev/null "$@"; }

# timed_to FILE LIMIT COMMAND...: the same, its output into FILE.
timed_to()
{
	_out=$1
	_lim=$2
	shift 2
	_t0=$(now)
	_st=0
	timeout -k 10 "$_lim" "$@" >"$_out" 2>>"$D/log" || _st=$?
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
	timeout -k 10 "$TMO" "$PYTHON" -c '
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
# endpoint= is $EP's, set by endpoint().
snapfs_more=
budget=
if has_opt 'memory='; then
	snapfs_more=",memory=$MEMORY"
	budget=$MEMORY
fi

# endpoint URL: the endpoint of the mounts and of curl from now on.
endpoint()
{
	EP=$1
	snapfs_opts="endpoint=$EP,path_style,ro$snapfs_more"
	cat >"$D/rclone.conf" <<EOF
[rgw]
type = s3
provider = Ceph
access_key_id = $S3_KEY
secret_access_key = $S3_SECRET
endpoint = $EP
region = $S3_REGION
EOF
}

# mount_fs KIND WHERE [snapfs options]: mount the bucket's WHERE/ (loc or
# snaps) on $MNT; KIND rw is snapfs writable (for ctl/), local is snapfs
# read-only on the local folder WHERE, azure snapfs read-only on the
# container's WHERE/ at $AZ_EP.
mount_fs()
{
	_kind=$1
	_where=$2
	shift 2
	echo "=== mount $_kind $_where $*" >>"$D/log"
	case $_kind in
	cold|cache)
		"$SNAPFS" -f "s3://$BUCKET/$_where" "$MNT" \
		    -o "$snapfs_opts${1:+,$1}" >>"$D/log" 2>&1 &
		;;
	rw)
		"$SNAPFS" -f "s3://$BUCKET/$_where" "$MNT" \
		    -o "endpoint=$EP,path_style$snapfs_more${1:+,$1}" \
		    >>"$D/log" 2>&1 &
		;;
	local)
		"$SNAPFS" -f "$_where" "$MNT" -o "ro$snapfs_more${1:+,$1}" \
		    >>"$D/log" 2>&1 &
		;;
	azure)
		"$SNAPFS" -f "https://$AZURE_ACCOUNT.blob.core.windows.net/$CONTAINER/$_where" \
		    "$MNT" -o "endpoint=$AZ_EP,ro$snapfs_more${1:+,$1}" \
		    >>"$D/log" 2>&1 &
		;;
	s3fs)
		s3fs "$BUCKET:/$_where" "$MNT" -f \
		    -o "ro,passwd_file=$D/s3fs.passwd" \
		    -o "url=$EP,use_path_request_style" >>"$D/log" 2>&1 &
		;;
	rclone)
		env -u AWS_CA_BUNDLE rclone --config "$D/rclone.conf" mount \
		    "rgw:$BUCKET/$_where" "$MNT" --read-only >>"$D/log" 2>&1 &
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
	pids_drop "$MPID"
	MPID=
}

# pids_drop PID: PID was reaped, the cleanup need not stop it.
pids_drop()
{
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

printf '%s:%s\n' "$S3_KEY" "$S3_SECRET" >"$D/s3fs.passwd"
chmod 600 "$D/s3fs.passwd"
endpoint "$S3_ENDPOINT"

# --- the far link ---

# link_start [PORT]: bench/linkproxy.py in front of the server on PORT
# (default: radosgw, whose endpoint becomes the proxy's), with the time to
# first byte and rate of --link, on port LPORT; counts for the tags of
# link_tag, and apart the GETs of info objects.
link_start()
{
	LPORT=$(free_port)
	rm -f "$D/lp.tag" "$D/lp.stats"
	: >"$D/lp.out"
	"$PYTHON" "$top/bench/linkproxy.py" "$LPORT" "${1:-$RGW_PORT}" \
	    --ttfb-ms "$LINK_TTFB" --rate "$LINK_RATE" --stats "$D/lp.stats" \
	    --tag "$D/lp.tag" --match 'info=^GET .*/__info_' \
	    >"$D/lp.out" 2>>"$D/log" &
	LPID=$!
	_i=0
	until grep -q '^ready' "$D/lp.out"; do
		kill -0 "$LPID" 2>/dev/null || die "linkproxy.py exited"
		[ $_i -lt 600 ] || die "linkproxy.py: not ready in 30 s"
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -n "${1:-}" ] || endpoint "http://127.0.0.1:$LPORT"
}

link_stop()
{
	kill -TERM "$LPID" 2>/dev/null
	wait "$LPID" 2>/dev/null || :
	LPID=
	endpoint "$S3_ENDPOINT"
}

# link_tag TAG: what goes through the proxy from now on counts for TAG
# (one word, new each time), once the proxy says so.
link_tag()
{
	[ -n "$LPID" ] || return 0
	echo "$1" >"$D/lp.tag.new"
	mv "$D/lp.tag.new" "$D/lp.tag"
	_i=0
	until [ "$(head -n 1 "$D/lp.stats" 2>/dev/null)" = "current $1" ]; do
		kill -0 "$LPID" 2>/dev/null || die "linkproxy.py exited"
		[ $_i -lt 1000 ] || die "linkproxy.py: no tag $1 in 10 s"
		sleep 0.01
		_i=$((_i + 1))
	done
}

# link_count TAG: "REQUESTS BYTES INFO_GETS INFO_BYTES" of TAG so far.
link_count()
{
	awk -v t="$1" '$1 == t { for (i = 2; i <= NF; i++) {
	    split($i, kv, "="); c[kv[1]] = kv[2] }
	    print c["requests"], c["bytes"], c["info.requests"],
	    c["info.bytes"]; f = 1 } END { if (!f) print 0, 0, 0, 0 }' \
	    "$D/lp.stats"
}

# --- measurements ---

# The paths in each kind of mount: snapfs shows the snapshot folders,
# the peers the objects under their keys (the same files, byte for byte).
paths()
{
	case $1 in
	cold|cache|azure)
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
	case $_c in cold|cache|azure) _lim=$((TMO * 3)) _llim=$((LTMO * 3)) ;; esac
	paths "$_c"
	PEAK=0
	say "$PROF $_c: time to first byte"
	mount_fs "$_c" loc "$_o"
	res ttfb "$_c" "$(ttfb "$P_BIG")"
	umount_fs

	say "$PROF $_c: sequential read"
	mount_fs "$_c" loc "$_o"
	_t=$(timed "$_lim" dd if="$P_BIG" of=/dev/null bs=1M)
	res read "$_c" "$(mbps "$BIG" "$_t")"
	if [ -n "$quick" ] && [ "$_c" != s3fs ] && [ "$_c" != rclone ]; then
		_sum=$(md5sum <"$P_BIG" | cut -d ' ' -f 1)
		[ "$_sum" = "${BIGKEY##*.}" ] ||
		    die "$_c: the big file reads back with md5 $_sum"
	fi
	umount_fs

	say "$PROF $_c: rsync -a"
	mount_fs "$_c" loc "$_o"
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
	# azure: no tablets uploaded, and an RSS without their walks would
	# not compare
	[ "$_c" = azure ] && return 0

	for _cmd in find lslr; do
		say "$PROF $_c: $_cmd"
		mount_fs "$_c" loc "$_o"
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
	say "$PROF curl: time to first byte, sequential read"
	res ttfb curl "$(s3curl -f -o /dev/null -r 0-4095 \
	    -w '%{time_starttransfer}' "$EP/$BUCKET/loc/$BIGKEY" |
	    awk '{ printf "%.1f", $1 * 1000 }')"
	_t=$(timed "$TMO" "$S3CURL" -f -o /dev/null "$EP/$BUCKET/loc/$BIGKEY")
	res read curl "$(mbps "$BIG" "$_t")"

	# The most this server and link give one file: 16 ranges at once.
	say "$PROF curl: sequential read, 16 ranges in flight"
	awk -v u="$EP/$BUCKET/loc/$BIGKEY" -v size="$BIG" 'BEGIN {
	    step = int((size + 15) / 16)
	    for (o = 0; o < size; o += step)
		printf "url = \"%s\"\nrange = \"%d-%d\"\noutput = \"/dev/null\"\n",
		    u, o, (o + step > size ? size : o + step) - 1 }' \
	    >"$D/ranges.cfg"
	_t=$(timed "$TMO" "$S3CURL" -f -Z --parallel-max 16 -K "$D/ranges.cfg")
	res read_par curl "$(mbps "$BIG" "$_t")"

	# The small files: every key of the snapshot, 64 GETs in flight.
	say "$PROF curl: GET of the small files"
	grep "^$REPO/__ss_small/" "$D/keys" | awk -v e="$EP/$BUCKET/loc/" \
	    -v d="$D/dst/" '{ printf "url = \"%s%s\"\noutput = \"%s%s\"\n",
	    e, $0, d, $0 }' >"$D/get.cfg"
	rm -rf "$D/dst"
	_t=$(timed "$TMO" "$S3CURL" -f -Z --parallel-max 64 --create-dirs \
	    -K "$D/get.cfg")
	res rsync curl "$_t"
	rm -rf "$D/dst"

	# The tablet files: the listing that gives names, sizes and times.
	say "$PROF curl: listing of the tablet files"
	_t0=$(now)
	_n=$(s3_count "loc/$REPO/__ss_tablets/") || _n=fail
	_t=$(since "$_t0")
	[ "$_n" = fail ] && _t=fail
	res find_cold curl "$_t"
	res lslr_cold curl "$_t"

	# What ls -lR adds: every tablet's header (tablet.txt's size), as
	# many in flight as snapfs fetches at once (HDRTEXT_PARALLEL).
	say "$PROF curl: GET of the tablet headers"
	grep "^$REPO/__ss_tablets/.*\.hdr\." "$D/keys" | awk \
	    -v e="$EP/$BUCKET/loc/" '{ printf "url = \"%s%s\"\noutput = \"/dev/null\"\n",
	    e, $0 }' >"$D/hdr.cfg"
	res hdrs curl "$(timed "$LTMO" "$S3CURL" -f -Z --parallel-max 128 \
	    -K "$D/hdr.cfg")"

	# Warm, the floor is the kernel's: the same files on the local disk.
	say "$PROF curl column, warm: find and ls -lR of the local copy"
	for _cmd in find lslr; do
		case $_cmd in
		find)	set -- find "$LOC/$REPO/__ss_tablets" ;;
		lslr)	set -- ls -lR "$LOC/$REPO/__ss_tablets" ;;
		esac
		timed "$LTMO" "$@" >/dev/null
		res "${_cmd}_warm" curl "$(timed "$LTMO" "$@")"
	done
}

# The rows of issue 5, in every column wanted.
measure_files()
{
	link_tag files
	want curl && measure_curl
	want cold && measure_fs cold
	if want cache; then
		if has_opt 'cache_dir='; then
			# Fill the cache, then measure a new mount over it.
			mkdir -p "$D/cache"
			_o="cache_dir=$D/cache,cache_size=$CACHE_SIZE"
			say "$PROF cache: filling $D/cache"
			paths cache
			mount_fs cache loc "$_o"
			cat "$P_BIG" >/dev/null
			rsync -a "$P_SMALL/" "$D/dst/"
			rm -rf "$D/dst"
			ls -lR "$P_TABLETS" >/dev/null	# tablet headers
			umount_fs
			measure_fs cache "$_o"
			rm -rf "$D/cache"
		else
			say "cache: this snapfs has no -o cache_dir: n/a"
			for _r in ttfb read rsync find_cold find_warm lslr_cold \
			    lslr_warm rss; do
				res "$_r" cache n/a
			done
		fi
	fi
	want s3fs && measure_fs s3fs
	want rclone && measure_fs rclone
	want azure && measure_azure
	:
}

# The column azure; on the far link through a proxy of its own in front
# of Azurite, radosgw's stopped meanwhile (linkproxy.py has one target).
measure_azure()
{
	if [ -z "$LPID" ]; then
		measure_fs azure
		return 0
	fi
	link_stop
	link_start "$AZ_PORT"
	AZ_EP=http://127.0.0.1:$LPORT/$AZURE_ACCOUNT
	measure_fs azure
	link_stop
	AZ_EP=$AZURE_ENDPOINT
	link_start
}

# snapfs_stats: "LIST_REQUESTS READ_REQUESTS BYTES_READ" of the snapfs
# mounted on $MNT, since its mount.
snapfs_stats()
{
	awk -F '[":, ]+' '{ c[$2] = $3 } END { print c["list_requests"] + 0,
	    c["read_requests"] + 0, c["bytes_read"] + 0 }' "$MNT/stats.json" ||
	    echo "- - -"
}

# The rows "snapshots" of a file system column: ls of the repository and
# cat snapshots.tsv, each on a new mount.  The peers show the objects: ls
# of the repository's folder, and the names of the info objects in each
# snapshot folder (a label and a timestamp: what snapshots.tsv says).
# On the far link, what went through the proxy from the mount to its end.
measure_snaps_fs()
{
	_c=$1
	_o=${2:-}
	_llim=$LTMO
	case $_c in cold|cache) _llim=$((LTMO * 3)) ;; esac
	for _r in ls tsv; do
		say "$PROF $_c: $_r of $SNAPS snapshots, cold"
		link_tag "$_c-$_r"
		mount_fs "$_c" snaps "$_o"
		case $_c/$_r in
		cold/ls|cache/ls)	set -- ls "$MNT/snaps" ;;
		cold/tsv|cache/tsv)	set -- cat "$MNT/snaps/snapshots.tsv" ;;
		*/ls)	set -- ls "$MNT/$SREPO" ;;
		*/tsv)	set -- sh -c 'printf "%s\n" "$1"/__ss_*/__info_*' sh \
			    "$MNT/$SREPO" ;;
		esac
		_t=$(timed_to "$D/out" "$_llim" "$@")
		res "snap_$_r" "$_c" "$_t"
		case $_t in
		[0-9]*)	_n=$(grep -c 'snap_[0-9]' "$D/out") || :
			[ "$_n" -eq "$SNAPS" ] ||
			    die "$_c: $* shows $_n snapshots, not $SNAPS" ;;
		esac
		case $_c in
		cold|cache) res "snap_${_r}_snapfs" "$_c" "$(snapfs_stats)" ;;
		esac
		umount_fs
		link_tag "$_c-$_r-done"
		if [ -n "$LPID" ]; then
			res "snap_${_r}_link" "$_c" "$(link_count "$_c-$_r")"
		fi
	done
	rm -f "$D/out"
}

# Doris's way: one paginated listing of every object of the repository,
# which gives every snapshot and the timestamps of its info objects.
measure_snaps_curl()
{
	say "$PROF curl: the listing of every object of the repository"
	link_tag curl-list
	_t0=$(now)
	_l=$(s3_list "snaps/$SREPO/") || _l=fail
	_t=$(since "$_t0")
	link_tag curl-list-done
	if [ "$_l" = fail ]; then
		_t=fail
	else
		set -- $_l
		[ "$1" -eq "$NSKEYS" ] ||
		    die "the listing shows $1 objects, not $NSKEYS"
	fi
	for _r in ls tsv; do
		res "snap_$_r" curl "$_t"
		if [ -n "$LPID" ]; then
			res "snap_${_r}_link" curl "$(link_count curl-list)"
		fi
	done
}

# The rows "snapshots", in every column wanted.
measure_snaps()
{
	want curl && measure_snaps_curl
	want cold && measure_snaps_fs cold
	if want cache; then
		if has_opt 'cache_dir='; then
			# Fill the cache, then measure new mounts over it.
			mkdir -p "$D/cache-snaps"
			_o="cache_dir=$D/cache-snaps,cache_size=$CACHE_SIZE"
			say "$PROF cache: filling $D/cache-snaps"
			link_tag cache-fill
			mount_fs cache snaps "$_o"
			ls "$MNT/snaps" >/dev/null
			cat "$MNT/snaps/snapshots.tsv" >/dev/null
			umount_fs
			measure_snaps_fs cache "$_o"
			rm -rf "$D/cache-snaps"
		else
			for _r in ls tsv; do
				res "snap_$_r" cache n/a
			done
		fi
	fi
	want s3fs && measure_snaps_fs s3fs
	want rclone && measure_snaps_fs rclone
	:
}

# stat_of NAME: the counter NAME of the stats.json of the snapfs on $MNT.
stat_of()
{
	sed -n "s/^ *\"$1\": \([0-9]*\).*/\1/p" "$MNT/stats.json"
}

# vm FIELD: the field (VmRSS, VmHWM) of the daemon's /proc status, in MiB.
vm()
{
	awk -v f="$1:" '$1 == f { printf "%.0f", $2 / 1024 }' \
	    "/proc/$MPID/status"
}

# The daemon's RSS after walking (find) the first N snapshots of the
# local location, for each N of LIVE_WALKS, on one mount, with -o
# meta_memory= when snapfs has it.
measure_rss()
{
	_o=
	has_opt 'meta_memory=' && _o=meta_memory=$META_MEMORY
	say "live: RSS after walking $LIVE_WALKS snapshots (${_o:-no budget})"
	res rss_opts live "${_o:-none}"
	mount_fs local "$LLOC" "$_o"
	ls "$MNT/live" >/dev/null
	res rss_0 live "$(vm VmRSS) $(vm VmHWM) $(stat_of nodes) 0"
	_i=0
	_t0=$(now)
	for _n in $LIVE_WALKS; do
		while [ "$_i" -lt "$_n" ]; do
			timeout -k 10 "$LTMO" find \
			    "$MNT/live/$(printf 's%05d' "$_i")" >/dev/null ||
			    die "find of snapshot $_i failed"
			_i=$((_i + 1))
		done
		res "rss_$_n" live \
		    "$(vm VmRSS) $(vm VmHWM) $(stat_of nodes) $(since "$_t0")"
	done
	umount_fs
}

# One refresh of the repository of SNAPS snapshots on a writable mount
# (refresh=0: only ctl/refresh lists again): the ls after the line to
# ctl/refresh makes it.  Then, with refresh=1, the seconds from another
# writer's upload of an info object into a new snapshot folder to its
# row in snapshots.tsv.  The writer is curl, to radosgw itself: it exits
# as its PUT returns, where the aws CLI exits so long after that the row
# was seen before it did.
measure_refresh()
{
	if ! has_opt 'refresh='; then
		say "live: this snapfs has no -o refresh=: n/a"
		res refresh live n/a
		res appear live n/a
		return 0
	fi
	say "$PROF live: one refresh of $SNAPS snapshots"
	mount_fs rw snaps refresh=0
	cat "$MNT/snaps/snapshots.tsv" >/dev/null
	_l0=$(stat_of list_requests)
	link_tag live-refresh
	echo snaps >"$MNT/ctl/refresh" || die "ctl/refresh refused the line"
	res refresh live "$(timed "$LTMO" ls "$MNT/snaps")"
	res refresh_lists live $(($(stat_of list_requests) - _l0))
	link_tag live-refresh-done
	[ -n "$LPID" ] && res refresh_link live "$(link_count live-refresh)"
	umount_fs

	# A reader polls snapshots.tsv from before the upload on, as one
	# would that waits for tonight's backup.
	say "$PROF live: another writer's snapshot in snapshots.tsv"
	mount_fs cold snaps refresh=1
	rm -f "$D/seen"
	(
		_i=0
		until grep -q "^live_$$	" "$MNT/snaps/snapshots.tsv"; do
			[ $_i -lt $((LTMO * 20)) ] || exit 1
			sleep 0.05
			_i=$((_i + 1))
		done
		now >"$D/seen"
	) &
	_pp=$!
	PIDS="$PIDS $_pp"
	_info=$(ls "$SLOC/$SREPO/__ss_snap_00000/"__info_*)
	LIVEKEY=snaps/$SREPO/__ss_live_$$/${_info##*/}
	s3curl -f -T "$_info" -o /dev/null "$S3_ENDPOINT/$BUCKET/$LIVEKEY" ||
	    die "cannot upload $LIVEKEY"
	_t0=$(now)
	_st=0
	wait "$_pp" || _st=$?
	pids_drop "$_pp"
	if [ "$_st" -eq 0 ]; then
		res appear live "$(awk -v s="$_t0" -v e="$(cat "$D/seen")" \
		    'BEGIN { printf "%.2f", e - s }')"
	else
		res appear live "> $LTMO"
	fi
	umount_fs
	s3curl -f -X DELETE -o /dev/null "$S3_ENDPOINT/$BUCKET/$LIVEKEY" ||
	    die "cannot remove $LIVEKEY"
	LIVEKEY=
}

for PROF in $PROFILES; do
	if [ "$PROF" = far ]; then
		say "the far link: $LINK_TTFB ms to first byte, $LINK_RATE/s a" \
		    "connection (bench/linkproxy.py)"
		link_start
	fi
	want_rows files && measure_files
	want_rows snapshots && measure_snaps
	if want_rows live; then
		[ "$PROF" = loopback ] && measure_rss
		measure_refresh
	fi
	if [ "$PROF" = far ]; then
		link_stop
	fi
done

# --- the table ---

ver()
{
	case $1 in
	snapfs)	"$SNAPFS" -V 2>/dev/null | awk '{ sub(/;$/, "", $2); print $2; exit }' ;;
	azurite) node -p "require('${AZURITE_PREFIX:-/opt/snapfs-azurite}/node_modules/azurite/package.json').version" 2>/dev/null ;;
	*)	dpkg-query -W -f='${Version}' "$1" 2>/dev/null ;;
	esac
}

{
	echo "snapfs bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r), load $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo "versions: snapfs $(ver snapfs), radosgw $(ver radosgw), curl $(ver curl), s3fs $(ver s3fs), rclone $(ver rclone)${CONTAINER:+, azurite $(ver azurite), az $(ver azure-cli)}"
	echo "snapfs options: -o $snapfs_opts${budget:+ (memory budget $budget)}"
	# snapfs checks every byte it reads cold against its md5.
	if want_rows files; then
		cat "$LOC/$BIGKEY" >/dev/null
		MD5RATE=$(mbps "$BIG" "$(timed "$TMO" md5sum "$LOC/$BIGKEY")")
		echo "md5 on one core: $MD5RATE MB/s (md5sum of the big file," \
		    "in the page cache): the most snapfs cold can read one" \
		    "file at"
	fi
	case " $PROFILES " in
	*" far "*)
		echo "far link: bench/linkproxy.py (python $("$PYTHON" -c \
		    'import platform; print(platform.python_version())')):" \
		    "$LINK_TTFB ms to first byte, $LINK_RATE/s a connection"
	esac
} >"$D/table"

title()
{
	case $1 in
	loopback) echo "Loopback: radosgw on 127.0.0.1, no proxy" ;;
	far)	echo "Far link: every column through bench/linkproxy.py," \
		    "$LINK_TTFB ms to first byte, $LINK_RATE/s a connection" ;;
	esac
}

# files_table PROFILE FIRST: the table of the rows of issue 5 and its
# targets.  Only the first table's row names start a line with "| " and
# a letter (tests/s3/bench_smoke.sh counts those lines); the others are
# indented two spaces (the same table in Markdown).
files_table()
{
	awk -F '\t' -v big="$BIG" -v nsmall="$NSMALL" -v ntab="$NTABLETS" \
	    -v budget="$budget" -v cols="$columns" -v first="$2" \
	    -v prof="$1" -v md5="$MD5RATE" "$AWK_FMTN"'
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
	name["read_par"] = "read, 16 ranges in flight (MB/s)"
	name["hdrs"] = sprintf("tablet headers, %s GETs (s)", fmtn(ntab / 2))
	nr = split("read read_par rsync find_cold find_warm lslr_cold hdrs " \
	    "lslr_warm ttfb rss", rows, " ")
	nc = split("curl cold cache s3fs rclone azure", cs, " ")
	head["curl"] = "curl (limit)"; head["cold"] = "snapfs cold"
	head["cache"] = "snapfs disk cache"; head["s3fs"] = "s3fs"
	head["rclone"] = "rclone mount"; head["azure"] = "snapfs azure"
	ind = first ? "" : "  "
	w = 38 + length(ind)
	printf "| %-" w "s |", ""
	for (i = 1; i <= nc; i++) printf " %17s |", head[cs[i]]
	dash = sprintf("%" (w + 2) "s", "")
	gsub(/ /, "-", dash)
	printf "\n|%s|", dash
	for (i = 1; i <= nc; i++) printf "%s|", "------------------:"
	printf "\n"
	for (j = 1; j <= nr; j++) {
		printf "| %-" w "s |", ind name[rows[j]]
		for (i = 1; i <= nc; i++) printf " %17s |", val(rows[j], cs[i])
		printf "\n"
	}
	# A peer whose rsync ran out of time: how far it got, and the pace.
	sep = "\n"
	for (i = 1; i <= nc; i++) {
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
	if (first) {
	printf "\ncurl column: find and ls -lR cold are one paginated ListObjectsV2\n"
	printf "of the files (1,000 keys a page); warm, find and ls -lR of the same\n"
	printf "files on the local disk, page cache warm (no storage is faster).\n"
	printf "Rows only curl has: the same big file as 16 ranged GETs at once\n"
	printf "(the most this server and link give), and the GETs of every tablet\n"
	printf "header, 128 in flight as snapfs has them (what ls -lR adds to the\n"
	printf "listing: the size of each tablet.txt).\n"
	}
	if (("read", "azure") in v && prof == "far")
		printf "\nsnapfs azure column: snapfs cold on Azurite, a local" \
		    " Azure Blob server,\nthrough a proxy of its own with the" \
		    " same link; its container holds\nthe snapshots big and" \
		    " small only.\n"
	else if (("read", "azure") in v)
		printf "\nsnapfs azure column: snapfs cold on Azurite, a local" \
		    " Azure Blob server\non 127.0.0.1; its container holds the" \
		    " snapshots big and small only.\n"
	printf "\nTargets of issues 5 (item 4) and 15%s:\n", prof == "far" ? \
	    ", on the far link" : ""
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
	# Issue 15: "column/row" names another row of the same table.
	if (prof == "far") {
		T[++t] = "cold read >= 3x one curl GET|read|cold|curl|xhi|3"
		T[++t] = "ls -lR cold within 3x the listing|lslr_cold|cold|curl|xin|3"
	}
	T[++t] = "cold read, of 16 curl ranges at once|read|cold|curl/read_par|pct|"
	for (k = 1; k <= t; k++) {
		split(T[k], f, "|")
		split(f[4], o, "/")
		a = val(f[2], f[3])
		b = f[4] == "" ? "" : val(o[2] != "" ? o[2] : f[2], o[1])
		out = "n/a"; ok = ""
		if (!num(a) || (f[4] != "" && !(num(b) || b ~ /^[<>] [0-9]/))) {
			out = "n/a (" a (f[4] != "" ? " vs " b : "") ")"
		} else if (f[5] == "pct") {
			r = 100 * a / b
			out = sprintf("%.0f%% (%s vs %s MB/s)", r, a, b)
			ok = f[6] == "" ? "" : r >= f[6]
		} else if (f[5] == "xhi") {
			r = a / lo(b)
			out = sprintf("%s%.2fx (%s vs %s MB/s)",
			    b ~ /^</ ? "> " : "", r, a, b)
			ok = r >= f[6]
		} else if (f[5] == "xlo") {
			r = lo(b) / (a > 0 ? a : 0.01)
			out = sprintf("%s%.0fx (%s vs %s s)", b ~ /^>/ ? "> " : "", r, a, b)
			ok = r >= f[6]
		} else if (f[5] == "xin") {
			r = a / (lo(b) > 0 ? lo(b) : 0.01)
			out = sprintf("%.1fx (%s vs %s s)", r, a, b)
			ok = r <= f[6]
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
		# A target that no client reaches here says why.
		why = ""
		if (ok == "0" && f[2] == "read" && num(md5) &&
		    (f[5] == "pct" ? f[6] / 100 : f[6]) * lo(b) > md5 + 0)
			why = sprintf(": above md5 on one core (%s MB/s)", md5)
		if (ok == "0" && f[5] == "xin" && num(val("hdrs", "curl")) &&
		    lo(b) > 0 && (r = 1 + val("hdrs", "curl") / lo(b)) > f[6])
			why = sprintf(": the floor, listing + header GETs, " \
			    "is %.1fx", r)
		printf "  %-38s %-40s %s%s\n", f[1], out,
		    ok == "" ? "" : (ok ? "met" : "MISSED"), why
	}
}' "$D/results.$1"
}

# snaps_table PROFILE: the table of the rows "snapshots".  Its row names
# start with a backquote or spaces (see files_table).
snaps_table()
{
	awk -F '\t' -v n="$SNAPS" -v prof="$1" "$AWK_FMTN"'
function mb(b) { return sprintf("%.1f", b / 1e6) }
# val ROW COLUMN FIELD KIND: a cell, or one field of a cell of counts
function val(r, c, f, k,   x) {
	if (!((r, c) in v))
		return "-"
	if (f == 0)
		return v[r, c]
	split(v[r, c], x, " ")
	if (x[f] !~ /^[0-9]/)
		return v[r, c]
	if (k == "mb")
		return mb(x[f])
	if (k == "pair")
		return fmtn(x[f]) " / " (f == 3 ? mb(x[4]) : fmtn(x[f + 1]))
	return fmtn(x[f])
}
{ v[$1, $2] = $3 }
END {
	split("curl cold cache s3fs rclone", cs, " ")
	head["curl"] = "Doris'"'"'s way"; head["cold"] = "snapfs cold"
	head["cache"] = "snapfs disk cache"; head["s3fs"] = "s3fs"
	head["rclone"] = "rclone mount"
	printf "| %-38s |", ""
	for (i = 1; i <= 5; i++) printf " %17s |", head[cs[i]]
	printf "\n|%s|", "----------------------------------------"
	for (i = 1; i <= 5; i++) printf "%s|", "------------------:"
	printf "\n"
	split("ls tsv", rs, " ")
	title["ls"] = sprintf("`ls` of %s snapshots, cold (s)", fmtn(n))
	title["tsv"] = sprintf("`cat snapshots.tsv`, cold (s)")
	for (j = 1; j <= 2; j++) {
		r = "snap_" rs[j]
		# name|row|field|kind
		k = 0
		L[++k] = title[rs[j]] "|" r "|0|"
		if (prof == "far") {
			L[++k] = "  requests (proxy)|" r "_link|1|"
			L[++k] = "  MB sent back (proxy)|" r "_link|2|mb"
			L[++k] = "  info GETs / MB (proxy)|" r "_link|3|pair"
		}
		L[++k] = "  snapfs: list / read requests|" r "_snapfs|1|pair"
		L[++k] = "  snapfs: bytes_read (MB)|" r "_snapfs|3|mb"
		for (l = 1; l <= k; l++) {
			split(L[l], f, "|")
			printf "| %-38s |", f[1]
			for (i = 1; i <= 5; i++)
				printf " %17s |", val(f[2], cs[i], f[3], f[4])
			printf "\n"
		}
	}
}' "$D/results.$1"
}

# snaps_targets: the targets of the issue "A repository of a thousand
# snapshots lists in a second" (its point 4), on the far link.
snaps_targets()
{
	echo 'Targets of "A repository of a thousand snapshots lists in a' \
	    'second", on the far link:'
	if [ ! -s "$D/results.far" ]; then
		echo "  n/a: the far link was not measured (--link none)"
		return
	fi
	awk -F '\t' -v n="$SNAPS" "$AWK_FMTN"'
function num(s) { return s ~ /^[0-9.]+$/ }
{ v[$1, $2] = $3 }
END {
	t = ((("snap_tsv", "cold") in v)) ? v["snap_tsv", "cold"] : "-"
	d = ((("snap_tsv", "curl") in v)) ? v["snap_tsv", "curl"] : "-"
	out = t (num(t) ? " s" : "") " (Doris'"'"'s way: " d \
	    (num(d) ? " s" : "") ")"
	ok = ""
	if (num(t) && n >= 1000)
		ok = t < 2
	if (ok != "")
		ok = ok ? "met" : "MISSED"
	else if (num(t))
		ok = "n/a (" n " snapshots, not 1,000)"
	printf "  %-38s %-40s %s\n", "cat snapshots.tsv, cold, < 2 s", out, ok
	split("tsv ls", rs, " ")
	for (j = 1; j <= 2; j++) {
		r = "snap_" rs[j] "_link"
		ok = ""
		out = "n/a"
		if ((r, "cold") in v) {
			split(v[r, "cold"], x, " ")
			out = sprintf("%s info GETs, %.1f MB", fmtn(x[3]),
			    x[4] / 1e6)
			ok = x[3] == 0 && x[4] == 0
		}
		printf "  %-38s %-40s %s\n", "no info bytes read by snapfs: " \
		    (rs[j] == "ls" ? "ls" : "cat"), out,
		    ok == "" ? "" : (ok ? "met" : "MISSED")
	}
}' "$D/results.far"
}

if want_rows files; then
	for p in $PROFILES; do
		first=
		[ "$p" = loopback ] && first=1
		{
			echo
			title "$p"
			echo
			files_table "$p" "$first"
		} >>"$D/table"
	done
fi
if want_rows snapshots; then
	for p in $PROFILES; do
		{
			echo
			echo "$(title "$p"); a repository of" \
			    "$(awk -v n="$SNAPS" -v b="$INFO_BYTES" \
			    -v t="$INFO_TABLETS" 'BEGIN {
			    if (n >= 1000)
				    n = sprintf("%d,%03d", n / 1000, n % 1000)
			    if (t >= 1000)
				    t = sprintf("%d,%03d", t / 1000, t % 1000)
			    printf "%s snapshots (info objects of %.2f MB, %s" \
				" tablets each):", n, b / 1e6, t }')"
			echo
			snaps_table "$p"
		} >>"$D/table"
	done
	cat >>"$D/table" <<'EOF'

Doris's way: one paginated ListObjectsV2 of every object of the
repository (1,000 keys a page, no delimiter), which gives each snapshot
and the timestamps of its info objects (both rows).  snapfs: ls of the
repository's folder and cat of its snapshots.tsv, each on a new mount;
s3fs and rclone: ls of the repository's folder, and the names of the
info objects in every snapshot folder (a shell glob).  Requests and
bytes (proxy): what went through linkproxy.py from the mount to the
unmount; snapfs's counters: its stats.json just before the unmount.

EOF
	snaps_targets >>"$D/table"
fi

# live_tables: the rows "live" (issue "A mount that lives for months",
# point 5).  Their row names start with spaces (see files_table).
live_tables()
{
	awk -F '\t' -v walks="$LIVE_WALKS" -v tablets="$LIVE_TABLETS" \
	    -v mm="$META_MEMORY" -v n="$SNAPS" "$AWK_FMTN"'
# MiB in a size of -o meta_memory=
function mib(s,   n, u) {
	n = s + 0; u = toupper(substr(s, length(s)))
	if (u == "K") n /= 1024; else if (u == "G") n *= 1024
	else if (u != "M") n /= 1048576
	return n
}
function val(p, r,   k) { k = p SUBSEP r; return (k in v) ? v[k] : "-" }
FNR == 1 { p = FILENAME; sub(/.*\./, "", p) }
$2 == "live" { v[p, $1] = $3 }
END {
	q = "\047"
	if (("loopback", "rss_0") in v) {
		o = val("loopback", "rss_opts")
		printf "\nLive: the daemon%ss RSS after walking (find)" \
		    " snapshots of %s tablets\n(a local location, one" \
		    " mount, -o ro%s):\n\n", q, fmtn(tablets),
		    o == "none" ? "" : "," o
		f = "| %18s | %11s | %11s | %10s | %15s |\n"
		printf f, "snapshots walked", "VmRSS (MiB)", "VmHWM (MiB)",
		    "tree nodes", "find, total (s)"
		printf "|-------------------:|------------:|------------:|" \
		    "-----------:|----------------:|\n"
		nw = split("0 " walks, w, " ")
		for (i = 1; i <= nw; i++) {
			split(val("loopback", "rss_" w[i]), x, " ")
			printf f, w[i], x[1], x[2], fmtn(x[3]), x[4]
			rss[i] = x[1]
		}
		g = nw > 2 ? (rss[nw] - rss[nw - 1]) / (w[nw] - w[nw - 1]) : 0
		if (nw > 2)
			printf "\nVmRSS grew %.2f MiB a snapshot from %s to" \
			    " %s walked.\n", g, w[nw - 1], w[nw]
		# the bound of tests/integration/meta.sh
		lim = rss[2] + 2 * mib(mm)
		printf "  RSS flat past the budget: VmRSS after %s walked" \
		    " <= after %s + 2 x %s:\n    ", w[nw], w[2], mm
		if (o == "none")
			printf "n/a (%s MiB; this snapfs has no" \
			    " meta_memory=)\n", rss[nw]
		else
			printf "%s vs %.0f MiB: %s\n", rss[nw], lim,
			    rss[nw] <= lim ? "met" : "MISSED"
	}
	printf "\nLive: a repository of %s snapshots on radosgw," \
	    " snapfs:\n\n", fmtn(n)
	f = "| %-40s | %12s | %12s |\n"
	printf f, "", "loopback", "far link"
	printf "|------------------------------------------|" \
	    "-------------:|-------------:|\n"
	L[1] = "  one refresh: ctl/refresh, then ls (s)|refresh"
	L[2] = "  listings it made (stats.json)|refresh_lists"
	L[3] = "  requests / MB through the proxy|refresh_link"
	L[4] = "  another writer" q "s info to its row (s)|appear"
	for (l = 1; l <= 4; l++) {
		split(L[l], r, "|")
		for (k = 1; k <= 2; k++) {
			c[k] = val(k == 1 ? "loopback" : "far", r[2])
			if (r[2] == "refresh_link" && c[k] != "-") {
				split(c[k], x, " ")
				c[k] = fmtn(x[1]) " / " \
				    sprintf("%.1f", x[2] / 1e6)
			} else if (c[k] ~ /^[0-9]+$/)
				c[k] = fmtn(c[k])
		}
		printf f, r[1], c[1], c[2]
	}
	printf "\nThe writer: a PUT (curl) of an info object into a new" \
	    " snapshot folder;\nthe clock starts when it returns, on a" \
	    " mount with refresh=1 whose\nsnapshots.tsv is read every" \
	    " 50 ms from before the upload.\n"
}' "$D"/results.*
}

want_rows live && live_tables >>"$D/table"

cat "$D/table"
