#!/usr/bin/env python3
"""Write Apache Doris backup repositories on the local filesystem for tests.

One invocation adds one snapshot (one label) to one repository below a
LOCATION (the folder above __palo_repository_<repo>), creating the
repository and its __repo_info when they do not exist yet, and writes
exactly the objects Doris writes (reference/doris-format.md sections 1-3):

  <loc>/__palo_repository_<repo>/__repo_info                  no md5 suffix
  <loc>/__palo_repository_<repo>/__ss_<label>/__meta.<md5>
  <loc>/__palo_repository_<repo>/__ss_<label>/__info_<ts>.<md5>
  <loc>/.../__ss_<label>/__ss_content/__db_<db>/__tbl_<t>/__part_<p>/
        __idx_<i>/__<tablet>/<tablet>.hdr.<md5> and <rowsetid>_<seg>.dat.<md5>

The info JSON is compact, single line, no trailing newline, key order and
shape of the chosen writer era, and is streamed to disk.  Everything is a
pure function of the arguments (contents, md5s, ids, mtimes), so two runs
with the same arguments write identical trees.  Nothing is printed on
success.

Defaults reproduce the repository of doris-format.md section 2.3 (db sales
10001; orders 10010 with p202401 (10011: tablets 10013 10014) and p202402
(10021: 10023 10024), index 10012; users 10030, partition users 10031,
index 10032, tablet 10033; view v_orders_daily 10040; timestamp
2024-03-01-16-00-00 = backup_time 1709280000000; same key order and values
but for schema hashes and file md5s) plus a rollup u_city
(index 10034, tablet 10035) in users.

Id allocation (any --tables): a table takes the next id ending in 0, each
partition the next id ending in 1; the base index id is the first
partition's id + 1; base tablets follow (pid + 2 ...), then for each rollup
its index id (first partition only) and its tablets.  A tablet has
max(1, version // 2) .dat files unless --files-per-tablet is given.

Several --timestamp values give several __info_<ts> objects for the label;
they share the content tree and differ in backup_time (the timestamp read
in --tz-offset) and the snapshot paths.  Mtimes: content files
backup_time + 10..59 s, __meta + 100 s, each info its own backup_time +
120 s, __repo_info its create_time.  --broken plants one defect (it may
be repeated): noinfo (no info object), badjson (info truncated to 2/3,
suffix = md5 of what is stored), badmd5info (valid info, wrong suffix),
flipbyte / flipbig (one byte of the first .dat of the first tablet flipped
after its md5 was taken; flipbig makes that file 12 MiB), partleftover (a
copy of the last info as __info_<ts>.part beside it).

--old-header TABLET gives that tablet the header of Palo and Doris up to
0.10: the same FileHeader over an OLAPHeaderMessage, whose fields 1, 3 and
4 read as a TabletMetaPB say table 10007, tablet 10008, schema hash 10009.

--global-info writes, beside each info, what BACKUP GLOBAL (Doris 4.x)
writes: __global_info_<ts>.<md5>, SQL text that creates users (with
password hashes), grants, catalogs and workload groups, mtime its info's
+ 1 s; --global-info badmd5 gives it a wrong md5 suffix.

--manifest writes, in each tablet folder, what StarRocks (PR #77732)
writes at backup: __starrocks_snapshot_manifest (no md5 suffix), the
tablet's file names without their md5 suffix, one a line, sorted, the
last line ending in '\n' in odd tablets and not in even ones; its mtime
is its tablet's files'.  --manifest bad makes the first tablet's name a
file that is not there (missing_0_0.dat) in place of its first .dat.

--hostile plants one piece of hostile input in every info file of the
snapshot (it may be repeated; the file is rewritten, compact, and its md5
suffix matches): HOSTILE_DOC lists the kinds.  Content files keep their
id-based keys, so only what the info says changes.

Other modes, for the tests' expected values (they read an info file, which
is the source of truth, and never generate anything):
  --expect-tree INFO    every path (sorted, relative, "./..."), that the
                        snapshot folder built from INFO must contain
  --expect-files INFO   "<path in snapshot folder><TAB><key below __ss_x>"
                        for every tablet file
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import struct
import sys
import zlib

ERAS = ("0.13", "0.14", "2.1", "3.0")
META_VERSION = {"0.13": 91, "0.14": 96, "2.1": 133, "3.0": 140}
BUILD_VERSION = {"2.1": (2, 1, 8), "3.0": (3, 0, 3)}
DEFAULT_TABLES = "orders:p202401=5,p202402=3:2;users:=2:1:u_city"
UNICODE_TABLE = "订单:p一月=4,p_été\U00020000=2:2"
ROWSET_TAIL = "b0400c3870adc1c7d4e9f04c07630c99"
BIG_DEFAULT = 12 * 1024 * 1024
MANIFEST = "__starrocks_snapshot_manifest"
TS_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)(?:-(\d{3}))?$")


def die(msg):
    sys.stderr.write("mkrepo: %s\n" % msg)
    sys.exit(2)


# ---------------------------------------------------------------- model

class Index:
    def __init__(self, name, iid, tablets):
        self.name = name
        self.id = iid
        self.schema_hash = zlib.crc32(("%s/%d" % (name, iid)).encode()) \
            & 0x7fffffff
        self.tablets = tablets          # a range: ids are contiguous


class Part:
    def __init__(self, name, pid, version):
        self.name = name
        self.id = pid
        self.version = version
        self.indexes = []


class Table:
    def __init__(self, name, tid):
        self.name = name
        self.id = tid
        self.parts = []


def next_ending(c, digit):
    """Smallest id >= c whose last decimal digit is digit."""
    return c + (digit - c % 10) % 10


def parse_tables(spec):
    """TABLE[:PARTS[:BUCKETS[:ROLLUPS]]] separated by ';'.
    PARTS is NAME[=VERSION],...; an empty NAME (or no PARTS) is the single
    partition of an unpartitioned table, named like the table.  Returns
    [(table, [(partition, version or None, buckets)], [rollup, ...])]."""
    out = []
    for item in spec.split(";"):
        item = item.strip()
        if not item:
            continue
        f = item.split(":")
        if len(f) > 4:
            die("bad table spec %r" % item)
        name = f[0]
        buckets = int(f[2]) if len(f) > 2 and f[2] else 1
        parts = []
        for p in (f[1].split(",") if len(f) > 1 and f[1] else [""]):
            pname, _, ver = p.partition("=")
            parts.append((pname or name, int(ver) if ver else None, buckets))
        rollups = [r for r in f[3].split(",") if r] if len(f) > 3 else []
        if not name or "." in name or buckets < 1:
            die("bad table spec %r" % item)
        out.append((name, parts, rollups))
    return out


def scale_tables(n, b):
    """Table lineitem: n tablets, b per partition (the last may hold
    fewer), partitions p000000, p000001, ..."""
    parts = []
    for i in range((n + b - 1) // b):
        parts.append(("p%06d" % i, 2, min(b, n - i * b)))
    return [("lineitem", parts, [])]


def build_model(specs, db_id, views):
    c = db_id + 9
    tables = []
    for name, parts, rollups in specs:
        t = Table(name, next_ending(c, 0))
        c = t.id + 1
        idx_ids = [None] * (1 + len(rollups))
        for pname, ver, buckets in parts:
            p = Part(pname, next_ending(c, 1), 0)
            p.version = ver if ver is not None else 2 + p.id % 5
            c = p.id + 1
            if idx_ids[0] is None:
                idx_ids[0] = c
            c += 1
            p.indexes.append(Index(name, idx_ids[0], range(c, c + buckets)))
            c += buckets
            for r, rname in enumerate(rollups, 1):
                if idx_ids[r] is None:
                    idx_ids[r] = c
                    c += 1
                p.indexes.append(Index(rname, idx_ids[r],
                                       range(c, c + buckets)))
                c += buckets
            t.parts.append(p)
        tables.append(t)
    vlist = []
    for v in views:
        vid = next_ending(c, 0)
        c = vid + 1
        vlist.append((vid, v))
    return tables, vlist


# ---------------------------------------------------------------- JSON

class Raw(str):
    """Already-encoded JSON text."""


class Obj:
    """A JSON object from (key, value) pairs, or from a callable that
    returns an iterator of pairs (evaluated while writing)."""
    def __init__(self, pairs):
        self.pairs = pairs


class Arr:
    def __init__(self, items):
        self.items = items


_UNSAFE = re.compile(r"[^\x20-\x7e]|[\"\\<>&='\x7f]")
_NAMED = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def jstr(s):
    """JSON string as Gson writes it (HTML-safe escapes for < > & = ',
    lowercase hex).  Beyond Gson, Latin-1 letters and characters outside
    the BMP are escaped too (\\u00e9, surrogate pairs), so that readers
    are exercised on escapes; other characters (CJK) stay raw UTF-8."""
    if not _UNSAFE.search(s):
        return '"' + s + '"'
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif o < 0x20 or ch in "<>&='" or 0x7f <= o <= 0xff or \
                o in (0x2028, 0x2029):
            out.append("\\u%04x" % o)
        elif o > 0xffff:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xd800 + (o >> 10),
                                           0xdc00 + (o & 0x3ff)))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class Sink:
    """Buffered UTF-8 writer that computes the md5 of what it writes; with
    fd None it only walks the value (to create the content files)."""
    def __init__(self, fd):
        self.fd = fd
        self.md5 = hashlib.md5()
        self.buf = []
        self.n = 0

    def w(self, s):
        if self.fd is None:
            return
        self.buf.append(s)
        self.n += len(s)
        if self.n >= 1 << 20:
            self.flush()

    def flush(self):
        if self.buf:
            b = "".join(self.buf).encode("utf-8")
            self.buf = []
            self.n = 0
            self.md5.update(b)
            writeall(self.fd, b)


def emit(sink, v):
    if isinstance(v, Raw):
        sink.w(v)
    elif isinstance(v, str):
        sink.w(jstr(v))
    elif isinstance(v, bool):
        sink.w("true" if v else "false")
    elif isinstance(v, int):
        sink.w(str(v))
    elif isinstance(v, Obj):
        sink.w("{")
        first = True
        pairs = v.pairs() if callable(v.pairs) else v.pairs
        for k, x in pairs:
            if not first:
                sink.w(",")
            first = False
            sink.w(jstr(k))
            sink.w(":")
            emit(sink, x)
        sink.w("}")
    elif isinstance(v, Arr):
        sink.w("[")
        first = True
        items = v.items() if callable(v.items) else v.items
        for x in items:
            if not first:
                sink.w(",")
            first = False
            emit(sink, x)
        sink.w("]")
    else:
        raise TypeError(type(v))


# ---------------------------------------------------------------- files

def writeall(fd, b):
    mv = memoryview(b)
    while mv:
        n = os.write(fd, mv)
        mv = mv[n:]


def put_file(path, data, mtime):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                 0o644)
    try:
        writeall(fd, data)
        os.utime(fd, (mtime, mtime))
    finally:
        os.close(fd)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_int(field, n):
    return varint(field << 3) + varint(n)


def pb_bytes(field, b):
    return varint(field << 3 | 2) + varint(len(b)) + b


def hdr_bytes(t, p, ix, tablet, rowsets, bad=False):
    """FileHeader (40 bytes, little-endian) + a TabletMetaPB: table_id(1)
    partition_id(2) tablet_id(3) schema_hash(4) and one rs_metas(10) per
    rowset (id, version, size): tablet_id(3) rowset_type(6) BETA
    rowset_state(7) VISIBLE start/end_version(8, 9) num_rows(11) sizes
    (12, 13, 14) num_segments(22) rowset_id_v2(23).  bad: a wrong adler32
    of the protobuf."""
    pb = pb_int(1, t.id) + pb_int(2, p.id) + pb_int(3, tablet) + \
        pb_int(4, ix.schema_hash)
    for rid, ver, size in rowsets:
        rs = (pb_int(3, tablet) + pb_int(6, 1) + pb_int(7, 2) +
              pb_int(8, ver) + pb_int(9, ver) + pb_int(11, size // 100) +
              pb_int(12, size) + pb_int(13, size) + pb_int(14, 0) +
              pb_int(22, 1) + pb_bytes(23, rid.encode()))
        pb += pb_bytes(10, rs)
    sum_ = zlib.adler32(pb) & 0xffffffff
    if bad:
        sum_ ^= 1
    head = struct.pack("<QIQIQII", 0, 1, 40 + len(pb), 0, len(pb), sum_, 0)
    return head + pb


def old_hdr_bytes(t, p, ix, tablet, rowsets):
    """FileHeader (40 bytes) + an OLAPHeaderMessage, as Palo and Doris up
    to 0.10 wrote it: num_rows_per_data_block(1) one file_version(2) per
    rowset, cumulative_layer_point(3) num_short_key_fields(4) column(5)
    creation_time(6) data_file_type(9) next_column_unique_id(10)
    compress_kind(11) bf_fpp(14, a double) keys_type(15) tablet_id(20)
    schema_hash(21).  Its fields 1, 3 and 4 are 10007, 10008 and 10009, so
    that read as a TabletMetaPB it says table 10007, tablet 10008 and
    schema hash 10009."""
    pb = pb_int(1, 10007)
    for rid, ver, size in rowsets:
        fv = (pb_int(1, 1) + pb_int(2, ver) + pb_int(3, ver) +
              pb_int(4, 0) + pb_int(5, 0) + pb_int(6, 0) +
              pb_int(7, size) + pb_int(8, size // 100) + pb_int(9, 0))
        pb += pb_bytes(2, fv)
    pb += pb_int(3, 10008) + pb_int(4, 10009)
    for name, typ, key in (("k1", "INT", 1), ("v1", "BIGINT", 0)):
        pb += pb_bytes(5, pb_bytes(1, name.encode()) +
                       pb_bytes(2, typ.encode()) +
                       pb_bytes(3, b"NONE" if key else b"SUM") +
                       pb_int(4, 8) + pb_int(5, key))
    pb += (pb_int(6, 1500000000) + pb_int(9, 1) + pb_int(10, 2) +
           pb_int(11, 2) + varint(14 << 3 | 1) + struct.pack("<d", 0.05) +
           pb_int(15, 2) + pb_int(20, tablet) + pb_int(21, ix.schema_hash))
    sum_ = zlib.adler32(pb) & 0xffffffff
    head = struct.pack("<QIQIQII", 0, 1, 40 + len(pb), 0, len(pb), sum_, 0)
    return head + pb


def parse_ts(ts, tz_hours):
    m = TS_RE.match(ts)
    if not m:
        die("bad timestamp %r (want yyyy-MM-dd-HH-mm-ss[-SSS])" % ts)
    g = [int(x) if x else 0 for x in m.groups()]
    tz = datetime.timezone(datetime.timedelta(hours=tz_hours))
    d = datetime.datetime(g[0], g[1], g[2], g[3], g[4], g[5], tzinfo=tz)
    return int(d.timestamp()) * 1000 + g[6]


class Gen:
    def __init__(self, a, tables, views):
        self.a = a
        self.tables = tables
        self.views = views
        self.root = os.path.join(a.location, ("__palo_repository_"
                                 if a.root_prefix == "palo" else
                                 "__starrocks_repository_") + a.repo)
        self.ssdir = os.path.join(self.root, "__ss_" + a.label)
        self.content = os.path.join(self.ssdir, "__ss_content")
        self.times = {ts: parse_ts(ts, a.tz_offset) for ts in a.timestamp}
        self.base = min(self.times.values()) // 1000
        self.cache = {} if len(a.timestamp) > 1 else None
        self.written = False        # content files exist on disk
        self.dirs = []              # non-tablet dirs, for their mtimes
        self.target = None          # tablet whose first .dat is special
        self.broken = set(a.broken or ())
        if self.broken & {"flipbyte", "flipbig", "badhdr"} or \
                a.big is not None:
            t = tables[0]
            self.target = t.parts[0].indexes[0].tablets[0]

    def ndat(self, p):
        if self.a.files_per_tablet is not None:
            return self.a.files_per_tablet - 1
        return max(1, p.version // 2)

    @staticmethod
    def dat_name(tablet, j):
        """Segment 0 of the tablet's j-th rowset (48-hex v2 rowset id)."""
        return "02%014x%s_0.dat" % (tablet * 16 + j, ROWSET_TAIL)

    def dat_size(self, key):
        if self.a.file_size is not None:
            return self.a.file_size
        h = hashlib.blake2b(key.encode(), digest_size=4).digest()
        return 1 + int.from_bytes(h, "big") % 200000

    def tablet_files(self, t, p, ix, tablet):
        """Returns [(name, data)] in name order; the damaged copy of a
        flipped file comes as a third element."""
        files, rowsets = [], []
        for j in range(self.ndat(p)):
            name = self.dat_name(tablet, j)
            key = "%d/%s/%d/%s" % (self.a.seed, self.a.label, tablet, name)
            size = self.dat_size(key)
            if tablet == self.target and j == 0:
                if self.a.big is not None:
                    size = self.a.big
                elif "flipbig" in self.broken:
                    size = BIG_DEFAULT
            files.append((name, hashlib.shake_128(key.encode()).digest(size)))
            rowsets.append((name[:-len("_0.dat")], j + 2, size))
        if tablet == self.a.old_header:
            files.append(("%d.hdr" % tablet, old_hdr_bytes(
                t, p, ix, tablet, rowsets)))
        else:
            files.append(("%d.hdr" % tablet, hdr_bytes(
                t, p, ix, tablet, rowsets,
                "badhdr" in self.broken and tablet == self.target)))
        files.sort()
        return files

    def tablet_names(self, t, p, ix, tablet, tdir):
        """Writes the tablet's files (first pass) and returns the names
        with their md5 suffix, as listed in the info."""
        if self.cache is not None and tablet in self.cache:
            return self.cache[tablet]
        names = []
        write = not self.written and not self.a.metadata_only
        if write:
            os.mkdir(tdir)
        mt = self.base + 10 + tablet % 50
        for j, (name, data) in enumerate(self.tablet_files(t, p, ix,
                                                           tablet)):
            md5 = hashlib.md5(data).hexdigest()
            names.append("%s.%s" % (name, md5))
            if not write:
                continue
            if tablet == self.target and name == self.dat_name(tablet, 0) \
                    and self.broken & {"flipbyte", "flipbig"}:
                b = bytearray(data)
                off = len(b) // 3
                b[off] ^= 0x01
                data = bytes(b)
            put_file(os.path.join(tdir, names[-1]), data, mt)
        if write and self.a.manifest:
            put_file(os.path.join(tdir, MANIFEST),
                     self.manifest_bytes(t, tablet, names), mt)
        if write:
            os.utime(tdir, (mt, mt))
        if self.cache is not None:
            self.cache[tablet] = names
        return names

    def manifest_bytes(self, t, tablet, names):
        """The manifest of a tablet whose files are names (with md5s);
        bad: the first tablet's lists missing_0_0.dat, not its first .dat."""
        bare = [MD5_SUFFIX.sub("", n) for n in names]
        if self.a.manifest == "bad" and \
                tablet == self.tables[0].parts[0].indexes[0].tablets[0]:
            bare.remove(self.dat_name(tablet, 0))
            bare = sorted(bare + ["missing_0_0.dat"])
        text = "\n".join(bare)
        if tablet % 2 and bare:
            text += "\n"
        return text.encode()

    def mkdir(self, path):
        if not self.written and not self.a.metadata_only and \
                not os.path.isdir(path):
            os.mkdir(path)
            self.dirs.append(path)

    # ---- info JSON, per era

    def index_obj(self, t, p, ix, pdir):
        era = self.a.era
        idir = os.path.join(pdir, "__idx_%d" % ix.id)

        def tablets():
            self.mkdir(idir)
            for tablet in ix.tablets:
                if self.a.metadata_only:
                    names = []
                else:
                    names = self.tablet_names(t, p, ix, tablet, os.path.join(
                        idir, "__%d" % tablet))
                yield (str(tablet),
                       Raw("[" + ",".join('"%s"' % n for n in names) + "]"))

        if era == "0.13":
            order = Arr(lambda: (str(x) for x in ix.tablets))
        else:
            order = Arr(lambda: iter(ix.tablets))
        if era == "0.13":       # org.json: HashMap order
            return Obj([("tablets_order", order),
                        ("schema_hash", ix.schema_hash), ("id", ix.id),
                        ("tablets", Obj(tablets))])
        pairs = [("id", ix.id), ("schema_hash", ix.schema_hash),
                 ("tablets", Obj(tablets)), ("tablets_order", order)]
        if era == "0.14":
            pairs.append(("sortedTabletInfoList", Arr([])))
        return Obj(pairs)

    def part_obj(self, t, p, tdir):
        era = self.a.era
        pdir = os.path.join(tdir, "__part_%d" % p.id)

        def indexes():
            self.mkdir(pdir)
            for ix in p.indexes:
                yield (ix.name, self.index_obj(t, p, ix, pdir))

        vh = 1000000 + p.id * 7919 % 900000      # version_hash (<= 0.14)
        if era == "0.13":
            return Obj([("indexes", Obj(indexes)), ("id", p.id),
                        ("version_hash", vh), ("version", p.version)])
        pairs = [("id", p.id), ("version", p.version)]
        if era == "0.14":
            pairs.append(("version_hash", vh))
        pairs.append(("indexes", Obj(indexes)))
        return Obj(pairs)

    def backup_objects(self):
        dbdir = os.path.join(self.content, "__db_%d" % self.a.db_id)

        def tables():
            self.mkdir(self.content)
            self.mkdir(dbdir)
            for t in self.tables:
                tdir = os.path.join(dbdir, "__tbl_%d" % t.id)
                self.mkdir(tdir)
                parts = Obj(lambda t=t, tdir=tdir:
                            ((p.name, self.part_obj(t, p, tdir))
                             for p in t.parts))
                if self.a.era == "0.13":
                    yield (t.name, Obj([("partitions", parts), ("id", t.id)]))
                else:
                    yield (t.name, Obj([("id", t.id), ("partitions", parts)]))
        return Obj(tables)

    def all_tablets(self):
        for t in self.tables:
            for p in t.parts:
                for ix in p.indexes:
                    yield from ix.tablets

    def info_obj(self, ts):
        a = self.a
        era = a.era
        bt = self.times[ts]
        head = [("name", a.label), ("database", a.db), ("id", a.db_id),
                ("backup_time", bt)]
        if era == "0.13":
            return Obj([("backup_result", "succeed"), ("name", a.label),
                        ("meta_version", META_VERSION[era]),
                        ("database", a.db),
                        ("backup_objects", self.backup_objects()),
                        ("id", a.db_id), ("backup_time", bt)])
        content = "METADATA_ONLY" if a.metadata_only else "ALL"
        nbo = Obj([("views", Arr([Obj([("id", vid), ("name", vn)])
                                  for vid, vn in self.views])),
                   ("odbc_tables", Arr([])), ("odbc_resources", Arr([]))])
        pairs = head + [("content", content),
                        ("backup_objects", self.backup_objects()),
                        ("new_backup_objects", nbo),
                        ("backup_result", "succeed"),
                        ("meta_version", META_VERSION[era])]
        if era == "0.14":
            return Obj(pairs + [("success", True), ("tblAlias", Obj([]))])
        major, minor, patch = BUILD_VERSION[era]
        digits = ts.replace("-", "")[:14]
        pairs += [("major_version", major), ("minor_version", minor),
                  ("patch_version", patch),
                  ("is_force_replication_allocation", False),
                  ("tablet_be_map", Obj(lambda: (
                      (str(x), 10003 if x % 2 else 10002)
                      for x in self.all_tablets()))),
                  ("tablet_snapshot_path_map", Obj(lambda: (
                      (str(x), "/opt/doris/be/storage/snapshot/%s.%d.86400"
                       % (digits, x % 100)) for x in self.all_tablets()))),
                  ("table_commit_seq_map", Obj(
                      [(str(t.id), 3412 + i)
                       for i, t in enumerate(self.tables)]))]
        if era == "3.0":
            pairs.append(("tblalias", Obj([])))
        return Obj(pairs)

    # ---- objects

    def write_info(self, ts):
        """Streams the info of ts to disk (or only walks it, for noinfo)
        and returns the final path."""
        if "noinfo" in self.broken:
            emit(Sink(None), self.info_obj(ts))
            self.written = True
            return None
        tmp = os.path.join(self.ssdir, ".mkrepo.tmp")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            sink = Sink(fd)
            emit(sink, self.info_obj(ts))
            sink.flush()
            if "badjson" in self.broken:
                size = os.fstat(fd).st_size
                os.ftruncate(fd, size * 2 // 3)
                os.lseek(fd, 0, os.SEEK_SET)
                md5 = hashlib.md5()
                md5.update(os.pread(fd, size, 0))
            else:
                md5 = sink.md5
            mt = self.times[ts] // 1000 + 120
            os.utime(fd, (mt, mt))
        finally:
            os.close(fd)
        self.written = True
        digest = md5.hexdigest()
        if "badmd5info" in self.broken:
            digest = hashlib.md5(digest.encode()).hexdigest()
        final = os.path.join(self.ssdir, "__info_%s.%s" % (ts, digest))
        os.rename(tmp, final)
        return final

    def global_sql(self, ts):
        """The SQL of BACKUP GLOBAL at ts: a password hash per ts."""
        pw = hashlib.sha1(("analyst " + ts).encode()).hexdigest().upper()
        return ("create user 'analyst'@'%%' identified by password "
                "'*%s';\n"
                "create user 'etl'@'10.0.%%' identified by password "
                "'*81F5E21E35407D884A6CD4A731AEBFB6AF209E1B';\n"
                "CREATE ROLE 'reader';\n"
                "GRANT Select_priv ON internal.%s.* TO ROLE 'reader';\n"
                "GRANT 'reader' TO 'analyst'@'%%';\n"
                "GRANT Load_priv,Select_priv ON internal.%s.* TO "
                "'etl'@'10.0.%%';\n"
                "CREATE CATALOG IF NOT EXISTS `hive_prod` PROPERTIES "
                "(\"type\" = \"hms\", \"hive.metastore.uris\" = "
                "\"thrift://hms.example:9083\");\n"
                "CREATE WORKLOAD GROUP IF NOT EXISTS `etl_wg` PROPERTIES "
                "(\"cpu_share\" = \"512\", \"memory_limit\" = "
                "\"30%%\");\n" % (pw, self.a.db, self.a.db)).encode()

    def write_global(self, ts):
        """Writes __global_info_<ts>.<md5> (wrong md5 for badmd5)."""
        data = self.global_sql(ts)
        digest = hashlib.md5(data).hexdigest()
        if self.a.global_info == "badmd5":
            digest = hashlib.md5(digest.encode()).hexdigest()
        put_file(os.path.join(self.ssdir, "__global_info_%s.%s" %
                              (ts, digest)), data,
                 self.times[ts] // 1000 + 121)

    def meta_bytes(self):
        if self.a.era == "3.0":
            js = b'{"tblNameMap":{},"resourceNameMap":{}}'
            return struct.pack(">i", len(js)) + js
        if self.a.era == "0.13":
            return struct.pack(">i", 0)             # no tables
        return struct.pack(">ii", 0, 0)             # no tables, resources

    def run(self):
        a = self.a
        os.makedirs(a.location, exist_ok=True)
        created = self.create_repo()
        if os.path.lexists(self.ssdir):
            die("snapshot %s already exists in %s" % (a.label, self.root))
        os.mkdir(self.ssdir)
        meta = self.meta_bytes()
        put_file(os.path.join(self.ssdir, "__meta.%s" %
                              hashlib.md5(meta).hexdigest()), meta,
                 self.base + 100)
        last = None
        for ts in a.timestamp:
            path = self.write_info(ts)
            if path is not None and a.hostile:
                path = hostile(path, a.hostile)
            last = path or last
            if a.global_info:
                self.write_global(ts)
        if "partleftover" in self.broken and last is not None:
            ts = a.timestamp[-1]
            with open(last, "rb") as f:
                data = f.read()
            put_file(os.path.join(self.ssdir, "__info_%s.part" % ts), data,
                     self.times[ts] // 1000 + 120)
        mt = self.base + 60
        for d in reversed(self.dirs):
            os.utime(d, (mt, mt))
        os.utime(self.ssdir, (self.base + 200, self.base + 200))
        os.utime(self.root, (created, created))

    def create_repo(self):
        """Writes __repo_info unless present; returns its mtime."""
        path = os.path.join(self.root, "__repo_info")
        if os.path.exists(path):
            return int(os.stat(path).st_mtime)
        os.makedirs(self.root, exist_ok=True)
        tz = datetime.timezone(datetime.timedelta(hours=self.a.tz_offset))
        if self.a.repo_create_time:
            ct = self.a.repo_create_time
            d = datetime.datetime.strptime(ct, "%Y-%m-%d %H:%M:%S")
            when = int(d.replace(tzinfo=tz).timestamp())
        else:
            when = self.base - 50
            ct = datetime.datetime.fromtimestamp(when, tz).strftime(
                "%Y-%m-%d %H:%M:%S")
        data = ('{"name":%s,"create_time":"%s"}' % (jstr(self.a.repo), ct))
        put_file(path, data.encode("utf-8"), when)
        return when


# ---------------------------------------------------------------- expect

MD5_SUFFIX = re.compile(r"\.[0-9a-f]{32}$")


HOSTILE_DOC = """\
  slash      table orders renamed "ord/ers"
  dotdot     table orders renamed ".."
  dot        table orders renamed "."
  long       table orders renamed 256 x "o" (over 255 bytes)
  ctlchar    table orders renamed "ord<LF>ers", partition p202401
             "p<TAB>1"
  nul        table orders renamed "ord<NUL>ers" (\\u0000 in the JSON)
  dupname    table users renamed "orders" (two tables, one name)
  duppart    partition p202402 renamed "p202401"
  dupts      a second info file with the same timestamp (other bytes,
             its own md5)
  bigint     the id of table orders is 2^63
  negint     the version of partition p202401 is -1
  float      backup_time is 1e400
  deep       an unknown key whose value is 100,000 nested '['
  hugestr    database is a string of 20 MiB
  manyorder  the first index claims 10,000,001 entries in tablets_order
"""
HOSTILE = tuple(line.split()[0] for line in HOSTILE_DOC.splitlines()
                if line[:3] == "  " + line[2:3] and line[2] != " ")


def hostile(path, kinds):
    """Rewrite the info at path with the kinds of hostile input; return
    the new path (its md5 suffix follows the new bytes)."""
    with open(path, "rb") as f:
        j = json.loads(f.read().decode("utf-8"))
    mt = int(os.stat(path).st_mtime)
    bo = j["backup_objects"]

    def rename(obj, old, new):
        items = [(new if k == old else k, v) for k, v in obj.items()]
        obj.clear()
        obj.update(items)

    first = next(iter(bo))
    raw = {}                    # placeholder -> JSON text
    for k in kinds:
        if k == "slash":
            rename(bo, first, "ord/ers")
        elif k == "dotdot":
            rename(bo, first, "..")
        elif k == "dot":
            rename(bo, first, ".")
        elif k == "long":
            rename(bo, first, "o" * 256)
        elif k == "ctlchar":
            parts = bo[first]["partitions"]
            rename(parts, next(iter(parts)), "p\t1")
            rename(bo, first, "ord\ners")
        elif k == "nul":
            rename(bo, first, "ord\u0000ers")
        elif k == "dupname":
            raw["@DUP@"] = None
        elif k == "duppart":
            parts = bo[first]["partitions"]
            names = list(parts)
            if len(names) < 2:
                die("duppart needs a table with two partitions")
            raw["@DUPPART@"] = (names[0], names[1])
        elif k == "bigint":
            raw["@BIG@"] = str(2 ** 63)
            bo[first]["id"] = "@BIG@"
        elif k == "negint":
            parts = bo[first]["partitions"]
            parts[next(iter(parts))]["version"] = -1
        elif k == "float":
            raw["@FLOAT@"] = "1e400"
            j["backup_time"] = "@FLOAT@"
        elif k == "deep":
            raw["@DEEP@"] = "[" * 100000 + "]" * 100000
            j["hostile_deep"] = "@DEEP@"
        elif k == "hugestr":
            j["database"] = "d" * (20 * 1024 * 1024)
        elif k == "manyorder":
            raw["@ORDER@"] = "[" + ",".join(["1"] * 10000001) + "]"
            ix = next(iter(next(iter(bo[first]["partitions"].values()))
                           ["indexes"].values()))
            ix["tablets_order"] = "@ORDER@"
    text = json.dumps(j, separators=(",", ":"), ensure_ascii=False)
    for ph, v in raw.items():
        if ph == "@DUP@":
            # Python dicts cannot hold a duplicate key: rename in the text.
            names = list(bo)
            if len(names) < 2:
                die("dupname needs two tables")
            text = text.replace(json.dumps(names[1]) + ":{",
                                json.dumps(names[0]) + ":{", 1)
        elif ph == "@DUPPART@":
            text = text.replace(json.dumps(v[1]) + ":{",
                                json.dumps(v[0]) + ":{", 1)
        else:
            text = text.replace('"%s"' % ph, v, 1)
    data = text.encode("utf-8")
    os.unlink(path)
    d = os.path.dirname(path)
    ts = os.path.basename(path)[len("__info_"):].rsplit(".", 1)[0]
    out = os.path.join(d, "__info_%s.%s" % (ts, hashlib.md5(data).hexdigest()))
    put_file(out, data, mt)
    if "dupts" in kinds:
        data2 = data + b" "
        put_file(os.path.join(d, "__info_%s.%s" % (
            ts, hashlib.md5(data2).hexdigest())), data2, mt)
    return out


def expect(info_path, files_mode):
    with open(info_path, "rb") as f:
        j = json.loads(f.read().decode("utf-8"))
    paths = {".", "./details.json", "./info.json", "./snapshot.txt"}
    pairs = []
    db = j["id"]
    for tname, t in j["backup_objects"].items():
        paths.add("./" + tname)
        for pname, p in t["partitions"].items():
            pp = "./%s/%s" % (tname, pname)
            paths.update((pp, pp + "/partition.txt"))
            for ix in p["indexes"].values():
                for tablet, files in ix["tablets"].items():
                    paths.add("%s/%s" % (pp, tablet))
                    for fname in files:
                        base = MD5_SUFFIX.sub("", fname)
                        paths.add("%s/%s/%s" % (pp, tablet, base))
                        if base.endswith(".hdr"):
                            paths.add("%s/%s/tablet.txt" % (pp, tablet))
                        pairs.append((
                            "%s/%s/%s" % (pp[2:], tablet, base),
                            "__ss_content/__db_%s/__tbl_%s/__part_%s/"
                            "__idx_%s/__%s/%s" % (db, t["id"], p["id"],
                                                  ix["id"], tablet, fname)))
    out = sys.stdout
    if files_mode:
        for mp, key in sorted(pairs):
            out.write("%s\t%s\n" % (mp, key))
    else:
        for p in sorted(paths):
            out.write(p + "\n")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(
        description="Add one snapshot to a Doris repository in LOCATION.")
    ap.add_argument("location", nargs="?",
                    help="folder above __palo_repository_<repo>")
    ap.add_argument("--era", choices=ERAS, default="3.0",
                    help="info JSON writer era (default 3.0)")
    ap.add_argument("--root-prefix", choices=("palo", "starrocks"),
                    default="palo")
    ap.add_argument("--repo", default="repo1")
    ap.add_argument("--label", default="snap_20240301")
    ap.add_argument("--timestamp", action="append",
                    help="yyyy-MM-dd-HH-mm-ss[-SSS]; repeat for several "
                    "info files (default 2024-03-01-16-00-00)")
    ap.add_argument("--tz-offset", type=int, default=8,
                    help="hours east of UTC of the timestamps (default 8, "
                    "Asia/Shanghai as in doris-format.md 2.3)")
    ap.add_argument("--repo-create-time",
                    help="__repo_info create_time 'yyyy-MM-dd HH:mm:ss' "
                    "(default: 50 s before the first timestamp)")
    ap.add_argument("--db", default="sales")
    ap.add_argument("--db-id", type=int, default=10001)
    ap.add_argument("--tables", default=DEFAULT_TABLES,
                    help="TABLE[:P[=VER],...[:BUCKETS[:ROLLUP,...]]];... "
                    "(default %(default)s)")
    ap.add_argument("--views", default="v_orders_daily",
                    help="comma-separated view names ('' for none)")
    ap.add_argument("--unicode", action="store_true",
                    help="add table %s" % UNICODE_TABLE)
    ap.add_argument("--tablets", type=int,
                    help="scale: table lineitem with this many tablets "
                    "(replaces --tables)")
    ap.add_argument("--buckets", type=int, default=100,
                    help="scale: tablets per partition (default 100)")
    ap.add_argument("--files-per-tablet", type=int,
                    help="files per tablet, the .hdr included")
    ap.add_argument("--file-size", type=int,
                    help="size of every .dat (default: 1..200000, varied)")
    ap.add_argument("--big", type=int,
                    help="size of the first .dat of the first tablet")
    ap.add_argument("--metadata-only", action="store_true",
                    help='content "METADATA_ONLY": no files, no __ss_content')
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--broken", action="append",
                    choices=("noinfo", "badjson", "badmd5info", "flipbyte",
                             "flipbig", "partleftover", "badhdr"),
                    help="plant a defect (repeatable); info defects apply "
                    "to every info file of this snapshot; flips damage the "
                    "first .dat of the first tablet (12 MiB for flipbig); "
                    "badhdr gives the first tablet a header whose adler32 "
                    "is wrong")
    ap.add_argument("--old-header", type=int, metavar="TABLET",
                    help="give this tablet the header Palo and Doris up "
                    "to 0.10 wrote (an OLAPHeaderMessage, not a "
                    "TabletMetaPB)")
    ap.add_argument("--hostile", action="append", choices=HOSTILE,
                    help="plant hostile input in the info (repeatable): "
                    + "; ".join(HOSTILE_DOC.split("\n  ")).strip())
    ap.add_argument("--global-info", nargs="?", const="ok",
                    choices=("ok", "badmd5"),
                    help="write BACKUP GLOBAL's __global_info_<ts>.<md5> "
                    "beside each info (badmd5: with a wrong md5)")
    ap.add_argument("--manifest", nargs="?", const="ok",
                    choices=("ok", "bad"),
                    help="write StarRocks's __starrocks_snapshot_manifest "
                    "in each tablet folder (bad: the first tablet's names "
                    "missing_0_0.dat in place of its first .dat)")
    ap.add_argument("--expect-tree", metavar="INFO")
    ap.add_argument("--expect-files", metavar="INFO")
    a = ap.parse_args()

    if a.expect_tree or a.expect_files:
        expect(a.expect_tree or a.expect_files, bool(a.expect_files))
        return
    if not a.location:
        ap.error("LOCATION is required")
    if not re.match(r"^[-_A-Za-z0-9:]{1,128}$", a.label):
        die("bad label %r" % a.label)
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9\-_]{0,255}$", a.repo):
        die("bad repository name %r" % a.repo)
    if a.files_per_tablet is not None and a.files_per_tablet < 1:
        die("--files-per-tablet must be >= 1")
    if a.timestamp is None:
        a.timestamp = ["2024-03-01-16-00-00"]
    if len(set(a.timestamp)) != len(a.timestamp):
        die("duplicate --timestamp")
    if a.tablets is not None:
        if a.tablets < 1 or a.buckets < 1:
            die("--tablets and --buckets must be >= 1")
        specs = scale_tables(a.tablets, a.buckets)
    else:
        specs = parse_tables(a.tables)
    if a.unicode:
        specs += parse_tables(UNICODE_TABLE)
    if not specs:
        die("no tables")
    views = [v for v in a.views.split(",") if v]
    if a.era == "0.13":
        views = []
    tables, vlist = build_model(specs, a.db_id, views)
    Gen(a, tables, vlist).run()


if __name__ == "__main__":
    main()
