#!/bin/sh
# Check the Azure test infrastructure for real: azurite.sh and the az_*
# functions of tests/lib.sh.  Start Azurite (az_start), publish a small
# tree with the az CLI (az_publish; names with ': +@~=&%', a space, UTF-8,
# a dot file, an empty file), list it back with az and with curl (List
# Blobs through a SAS that az made), GET every blob with curl and compare
# the bytes; then the cases of azurite.sh (port in use, a restart over a
# running one, a folder it did not make, stop) and a test run against a
# shared server (AZURE_DIR), whose container must be gone after it.
#
#   sh tests/azure/selftest.sh
#
# Needs what tests/azure/deps.sh installs.  The last line is "N passed,
# N failed"; the exit status is 0 only when nothing failed.
set -u

srcdir=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$srcdir/tests/lib.sh"
set +e
here=$srcdir/tests/azure
azurite() { sh "$here/azurite.sh" "$@"; }

pass=0 nfail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
ko() { nfail=$((nfail + 1)); echo "FAIL: $*"; }
check() { _m=$1; shift; if "$@"; then ok "$_m"; else ko "$_m"; fi; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# RFC 3986 percent-encoding of a blob name, '/' kept.
urlenc() {
	printf %s "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | while read -r h; do
		case $h in
		'') ;;
		2d | 2e | 2f | 5f | 7e | 3[0-9] | 4[1-9a-f] | 5[0-9a] | 6[1-9a-f] | 7[0-9a])
			printf "\\$(printf %03o "0x$h")" ;;
		*) printf %%%s "$(echo "$h" | tr a-f A-F)" ;;
		esac
	done
}

# The live processes that run in $1 (an Azurite folder).
live_azurite() {
	for _p in /proc/[0-9]*; do
		[ "$(readlink "$_p/cwd" 2>/dev/null)" = "$1" ] &&
		    ! sed 's/.*) //' "$_p/stat" 2>/dev/null | grep -q '^Z' &&
		    echo "${_p#/proc/}"
	done
}

# Names of List Blobs XML on stdin, one a line: blobs, then "prefix: ...".
xml_names() {
	python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.stdin.buffer).getroot()
for b in r.iter("Blob"):
    print(b.findtext("Name"))
for p in r.iter("BlobPrefix"):
    print("prefix: " + p.findtext("Name"))
'
}

echo "--- az_start"
t=$(ms)
az_start
ok "az_start: Azurite $(node "${AZURITE_PREFIX:-/opt/snapfs-azurite}/node_modules/.bin/azurite-blob" --version 2>/dev/null) answers after $(($(ms) - t)) ms"
PORT=${AZURE_ENDPOINT#http://127.0.0.1:}
PORT=${PORT%%/*}
check "AZURE_ENDPOINT=$AZURE_ENDPOINT" \
    [ "$AZURE_ENDPOINT" = "http://127.0.0.1:$PORT/devstoreaccount1" ]
check "AZURE_ACCOUNT, AZURE_STORAGE_ACCOUNT" \
    [ "$AZURE_ACCOUNT" = devstoreaccount1 ] && [ "$AZURE_STORAGE_ACCOUNT" = devstoreaccount1 ]
check "AZURE_KEY is the well-known key" [ "$AZURE_STORAGE_KEY" = \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==" ]
check "AZURE_CONNECTION_STRING" [ "$AZURE_CONNECTION_STRING" = \
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURE_KEY;BlobEndpoint=$AZURE_ENDPOINT;" ]
check "AZ_OPTS=$AZ_OPTS" [ "$AZ_OPTS" = "-o endpoint=$AZURE_ENDPOINT" ]

echo "--- az_publish"
SRC=$W/src
mkdir -p "$SRC/d/订单" "$SRC/d/x y"
for f in "top.txt" "d/a: +@~=&%.txt" "d/订单/2024-01.csv" "d/x y/z.bin" \
    ".hidden" "d/100%.txt"; do
	printf 'content of %s\n' "$f" >"$SRC/$f"
done
: >"$SRC/empty"
head -c 300000 /dev/urandom >"$SRC/d/random.bin"
(cd "$SRC" && find . -type f | sed 's|^\./|loc/|' | sort) >"$W/want"
t=$(ms)
az_publish "$SRC"
ok "az_publish of $(wc -l <"$W/want") files: $(($(ms) - t)) ms" \
    "(upload-batch and list)"
check "AZLOC=$AZLOC" [ "$AZLOC" = \
    "https://devstoreaccount1.blob.core.windows.net/$CONTAINER/loc" ]

t=$(ms)
az_storage blob list -c "$CONTAINER" --prefix loc/ --num-results '*' -o tsv \
    --query '[].[name, properties.contentLength, properties.lastModified]' \
    >"$W/az.tsv" 2>"$W/az.err"
echo "    one az call (blob list): $(($(ms) - t)) ms"
cut -f 1 "$W/az.tsv" | sort >"$W/got"
check "az blob list gives back every name, exactly" cmp -s "$W/want" "$W/got"
sed -n 1p "$W/az.tsv" | cut -f 3 >"$W/lm"
check "lastModified looks like 2024-01-02T03:04:05+00:00 ($(cat "$W/lm"))" \
    grep -qx '[0-9-]*T[0-9:]*+00:00' "$W/lm"
bad=$(python3 -c '
import datetime, os, sys
for line in open(sys.argv[2], encoding="utf-8"):
    name, size, lm = line.rstrip("\n").split("\t")
    p = os.path.join(sys.argv[1], name[len("loc/"):])
    st = os.stat(p)
    t = datetime.datetime.fromisoformat(lm).timestamp()
    if st.st_size != int(size) or st.st_mtime != t:
        print(name, st.st_size, size, st.st_mtime, t)
' "$SRC" "$W/az.tsv")
check "local sizes and mtimes are the blobs'${bad:+: $bad}" [ -z "$bad" ]

echo "--- curl with a SAS"
expiry=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%MZ)
t=$(ms)
SAS=$(az_storage container generate-sas -n "$CONTAINER" --permissions rl \
    --expiry "$expiry" -o tsv 2>"$W/az.err")
echo "    generate-sas: $(($(ms) - t)) ms"
check "az storage container generate-sas" [ -n "$SAS" ]
URL=$AZURE_ENDPOINT/$CONTAINER
code=$(curl -s -o "$W/list.xml" -w '%{http_code}' \
    "$URL?restype=container&comp=list&prefix=loc/&delimiter=/&$SAS")
printf '%s\n' loc/.hidden loc/empty loc/top.txt "prefix: loc/d/" >"$W/want1"
xml_names <"$W/list.xml" >"$W/got1"
check "List Blobs prefix=loc/ delimiter=/ -> $code: 3 blobs and loc/d/" \
    sh -c "[ $code = 200 ] && cmp -s '$W/want1' '$W/got1'"
code=$(curl -s -o "$W/list.xml" -w '%{http_code}' \
    "$URL?restype=container&comp=list&prefix=loc/&$SAS")
xml_names <"$W/list.xml" | sort >"$W/got2"
check "List Blobs prefix=loc/ (no delimiter) -> $code: every name" \
    sh -c "[ $code = 200 ] && cmp -s '$W/want' '$W/got2'"
bad=
while read -r name; do
	code=$(curl -s -o "$W/body" -w '%{http_code}' \
	    "$URL/$(urlenc "$name")?$SAS")
	[ "$code" = 200 ] && cmp -s "$W/body" "$SRC/${name#loc/}" ||
	    bad="$bad '$name' ($code)"
done <"$W/want"
check "curl GET of every blob -> 200, same bytes${bad:+:$bad}" [ -z "$bad" ]
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/loc/top.txt")
check "GET without SAS refused ($code)" \
    sh -c "[ '$code' = 403 ] || [ '$code' = 404 ]"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "$URL/loc/top.txt?$(echo "$SAS" | sed 's/sig=[^&]*/sig=AAAA/')")
check "GET with a bad SAS signature refused ($code)" [ "$code" = 403 ]

echo "--- azurite.sh"
err=$(azurite start "$W/az2" "$PORT" 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$err" | grep -q "port $PORT is already in use"; then
	ok "start on the same port fails: $err"
else ko "same port again: rc $rc: $err"; fi
check "no server left in the refused folder" [ -z "$(live_azurite "$W/az2")" ]
azurite stop "$W/az2"
check "the running one still answers" \
    az_storage container exists -n "$CONTAINER" -o none

P2=$(free_port)
t=$(ms)
check "start a second one in $W/az2" azurite start "$W/az2" "$P2"
echo "    start: $(($(ms) - t)) ms"
old=$(live_azurite "$W/az2")
check "start again over the running one" azurite start "$W/az2" "$P2"
new=$(live_azurite "$W/az2")
check "old one gone ($old), one new ($new)" \
    sh -c "[ -n '$new' ] && [ '$new' != '$old' ] && ! kill -0 $old 2>/dev/null"
check "env" sh -c "sh '$here/azurite.sh' env '$W/az2' |
    grep -q '^AZURE_ENDPOINT=http://127.0.0.1:$P2/devstoreaccount1 '"
t=$(ms)
check "stop" azurite stop "$W/az2"
echo "    stop: $(($(ms) - t)) ms"
check "no process left, folder removed" \
    sh -c "[ -z '$(live_azurite "$W/az2")' ] && [ ! -e '$W/az2' ]"
check "port $P2 free again" sh -c "! curl -s -o /dev/null http://127.0.0.1:$P2/"
check "stop again is fine" azurite stop "$W/az2"
mkdir -p "$W/precious"
echo keep >"$W/precious/file"
azurite start "$W/precious" "$P2" 2>/dev/null
rc=$?
azurite stop "$W/precious" 2>/dev/null
check "a folder it did not make: start fails ($rc), stop keeps it" \
    sh -c "[ $rc -ne 0 ] && [ -f '$W/precious/file' ]"

echo "--- a test on a shared server (AZURE_DIR)"
SHARED=$W/shared
azurite start "$SHARED" "$P2" || ko "start of the shared server"
cat >"$W/inner.sh" <<'INNER'
. "$srcdir/tests/lib.sh"
az_container
echo "$CONTAINER" >"$1"
INNER
t=$(ms)
AZURE_DIR=$SHARED srcdir=$srcdir sh "$W/inner.sh" "$W/inner.out"
rc=$?
echo "    a test with one container: $(($(ms) - t)) ms"
c=$(cat "$W/inner.out" 2>/dev/null)
check "az_container there: $c" sh -c "[ $rc = 0 ] && [ -n '$c' ]"
left=$(/usr/bin/az storage container list -o tsv --query '[].name' \
    --connection-string "$(. "$SHARED/azure.env" &&
    echo "$AZURE_CONNECTION_STRING")" 2>&1)
check "its container is gone after it, the server runs${left:+: $left}" \
    sh -c "[ -z '$left' ] && [ -n '$(live_azurite "$SHARED")' ]"
azurite stop "$SHARED"

echo "--- a test with its own server"
cat >"$W/inner2.sh" <<'INNER'
. "$srcdir/tests/lib.sh"
az_container
echo "$AZ" >"$1"
INNER
t=$(ms)
AZURE_DIR= srcdir=$srcdir sh "$W/inner2.sh" "$W/inner2.out"
rc=$?
echo "    a test with its own server and one container: $(($(ms) - t)) ms"
own=$(cat "$W/inner2.out" 2>/dev/null)
check "it ran (status $rc) with its server in $own" \
    sh -c "[ $rc = 0 ] && [ -n '$own' ]"
left=$(live_azurite "$own")
check "after it, its server is gone${left:+: $left}, and its folder" \
    sh -c "[ -z '$left' ] && [ ! -e '$(dirname "$own")' ]"

echo "$pass passed, $nfail failed"
[ "$nfail" -eq 0 ]
