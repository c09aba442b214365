"""A TCP proxy that makes loopback look like a far link, python3 stdlib only.

    linkproxy.py LISTEN TARGET [--ttfb-ms MS] [--rate RATE]
                 [--stats FILE [--tag FILE] [--match NAME=REGEX]...]

Forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET and prints "ready" once it
listens.  Each connection is shaped as a real S3 far away would answer:

  --ttfb-ms MS  the server's answer to a request is held until MS
                milliseconds have passed since the client sent the request
                (a request is an HTTP request head seen from the client),
                so that every request costs at least MS, as a round trip
                to a far server does (default 0)
  --rate RATE   what the server sends on one connection comes at RATE
                bytes a second at most: each piece read from the server
                (up to 256 KiB) is passed on when its last byte would have
                come over a link of that rate that started at the time to
                first byte (a token bucket; the proxy's own delays, up to
                5 ms, are given back); K, M and G are powers of 1000,
                "80M", "80MB" and "80MB/s" are the same; 0 is no cap
                (default)

The client's bytes go through at once and uncapped; opening a connection
costs nothing (no TLS, no handshake delay).  The proxy acknowledges the
server's bytes at once (TCP_QUICKACK), so that radosgw's headers and body,
which it writes apart with Nagle's algorithm on, do not wait for a delayed
ACK: the far link's server answers as a whole, in MS.

--stats FILE counts, for each tag, the connections opened, the requests
and the bytes the server sent back (headers and bodies), and, for each
--match NAME=REGEX, the requests whose "METHOD PATH" (the path without its
query) matches REGEX and the bytes of their answers.  The current tag is
the first word of the file given by --tag, read again whenever that file
changes (write a new file and rename it over the old one; no file or an
empty one is the tag "-").  A request and its answer count for the tag
that was current when the request was seen.  FILE is rewritten (a new
file renamed over it) at once when the tag changes, and otherwise at most
once a second while counts change, as

    current TAG
    TAG connections=N requests=N bytes=N NAME.requests=N NAME.bytes=N ...

one line per tag seen; once its first line names a tag, everything that
went through before the change is in it.
"""
import argparse
import asyncio
import os
import re
import socket
import sys
import time

CHUNK = 256 * 1024          # one read from the server
MAX_HEAD = 64 * 1024        # a longer request head: stop parsing
POLL_S = 0.01               # how often the tag file is looked at
SLACK_S = 0.005             # see Link.down


def parse_rate(s):
    m = re.match(r"^\s*([0-9.]+)\s*([kKmMgG]?)(?:B|B/s)?\s*$", s)
    if not m:
        raise argparse.ArgumentTypeError("bad rate %r" % s)
    mult = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2).lower()]
    return float(m.group(1)) * mult


def parse_match(s):
    name, sep, rx = s.partition("=")
    if not sep or not re.match(r"^[A-Za-z0-9_]+$", name):
        raise argparse.ArgumentTypeError("bad --match %r (NAME=REGEX)" % s)
    return name, re.compile(rx)


class Stats:
    """Counters per tag, and the files that name the tag and show them."""

    def __init__(self, path, tag_path, matches):
        self.path = path
        self.tag_path = tag_path
        self.matches = matches
        self.tag = "-"
        self.stamp = None
        self.counts = {}        # tag -> {counter: n}, in order seen
        self.dirty = False
        self.written = 0.0
        self.get(self.tag)

    def get(self, tag):
        c = self.counts.get(tag)
        if c is None:
            c = {"connections": 0, "requests": 0, "bytes": 0}
            for name, _ in self.matches:
                c[name + ".requests"] = 0
                c[name + ".bytes"] = 0
            self.counts[tag] = c
        return c

    def add(self, tag, key, n):
        self.get(tag)[key] += n
        self.dirty = True

    def poll(self):
        if self.tag_path is None:
            return
        try:
            st = os.stat(self.tag_path)
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp == self.stamp:
            return
        self.stamp = stamp
        tag = "-"
        try:
            with open(self.tag_path) as f:
                words = f.read().split()
            if words:
                tag = words[0]
        except OSError:
            pass
        self.tag = tag
        self.get(tag)
        self.write()

    def write(self):
        if self.path is None:
            return
        lines = ["current %s\n" % self.tag]
        for tag, c in self.counts.items():
            lines.append(tag + "".join(" %s=%d" % kv for kv in c.items())
                         + "\n")
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("".join(lines))
        os.replace(tmp, self.path)
        self.dirty = False
        self.written = time.monotonic()

    async def run(self):
        while True:
            self.poll()
            if self.dirty and time.monotonic() - self.written >= 1:
                self.write()
            await asyncio.sleep(POLL_S)


class Requests:
    """Finds the request heads in what a client sends (HTTP/1.1, bodies
    of Content-Length or chunked); gives up on what does not parse."""

    def __init__(self):
        self.buf = b""
        self.state = "head"     # head, body, chunk, data, trailer, raw
        self.left = 0           # bytes of body or chunk still to skip

    def feed(self, data):
        """The request lines that data completes."""
        found = []
        buf = self.buf + data
        while buf and self.state != "raw":
            if self.state in ("body", "data"):
                n = min(self.left, len(buf))
                buf = buf[n:]
                self.left -= n
                if self.left == 0:
                    self.state = "head" if self.state == "body" else "chunk"
                continue
            if self.state == "head":
                i = buf.find(b"\r\n\r\n")
                if i < 0:
                    if len(buf) > MAX_HEAD:
                        self.state = "raw"
                    break
                head, buf = buf[:i], buf[i + 4:]
                found.append(head.split(b"\r\n", 1)[0])
                self.body(head)
                continue
            i = buf.find(b"\r\n")
            if i < 0:
                if len(buf) > MAX_HEAD:
                    self.state = "raw"
                break
            line, buf = buf[:i], buf[i + 2:]
            if self.state == "trailer":
                if not line:
                    self.state = "head"
                continue
            try:                # chunk: a size line
                size = int(line.split(b";")[0], 16)
            except ValueError:
                self.state = "raw"
                break
            if size == 0:
                self.state = "trailer"
            else:
                self.state, self.left = "data", size + 2
        self.buf = buf if self.state != "raw" else b""
        return found

    def body(self, head):
        length = chunked = None
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            k = k.strip().lower()
            if k == b"content-length":
                try:
                    length = int(v.strip())
                except ValueError:
                    self.state = "raw"
                    return
            elif k == b"transfer-encoding":
                chunked = b"chunked" in v.lower()
        if chunked:
            self.state = "chunk"
        elif length:
            self.state, self.left = "body", length


class Link:
    """One client's connection and its shaping."""

    def __init__(self, opts, stats):
        self.opts = opts
        self.stats = stats
        self.parser = Requests()
        self.sent_at = 0.0      # when the latest request was seen
        self.tag = stats.tag    # the latest request's tag ...
        self.matched = ()       # ... and the --match names it matched
        self.free = 0.0         # when the link has sent what it was given

    def requests(self, data):
        for line in self.parser.feed(data):
            self.sent_at = time.monotonic()
            self.tag = self.stats.tag
            self.stats.add(self.tag, "requests", 1)
            words = line.decode("latin-1").split(" ")
            what = words[0] + " " + (words[1].split("?", 1)[0]
                                     if len(words) > 1 else "")
            self.matched = tuple(name for name, rx in self.stats.matches
                                 if rx.search(what))
            for name in self.matched:
                self.stats.add(self.tag, name + ".requests", 1)

    async def up(self, reader, writer):
        while data := await reader.read(CHUNK):
            self.requests(data)
            writer.write(data)
            await writer.drain()

    async def down(self, reader, writer, sock):
        rate = self.opts.rate
        ttfb = self.opts.ttfb_ms / 1000
        while True:
            data = await reader.read(CHUNK)
            if sock is not None:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK,
                                    1)
                except OSError:
                    pass
            if not data:
                break
            # Nothing before the time to first byte; then a piece goes
            # when its last byte would have come over a link of rate,
            # which may have been idle up to SLACK_S (what the proxy's
            # own delays take is given back).
            now = time.monotonic()
            at = max(now, self.sent_at + ttfb)
            if rate > 0:
                at = max(self.free, self.sent_at + ttfb,
                         now - SLACK_S) + len(data) / rate
                self.free = at
            if at > now:
                await asyncio.sleep(at - now)
            writer.write(data)
            self.stats.add(self.tag, "bytes", len(data))
            for name in self.matched:
                self.stats.add(self.tag, name + ".bytes", len(data))
            await writer.drain()


async def serve(client_r, client_w, opts, stats):
    link = Link(opts, stats)
    stats.add(stats.tag, "connections", 1)
    try:
        server_r, server_w = await asyncio.open_connection("127.0.0.1",
                                                           opts.target)
    except OSError:
        client_w.close()
        return
    sock = server_w.get_extra_info("socket")
    up = asyncio.ensure_future(link.up(client_r, server_w))
    down = asyncio.ensure_future(link.down(server_r, client_w, sock))
    try:
        await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
    finally:
        # Either side gone: so is the other.
        for t in (up, down):
            t.cancel()
        await asyncio.gather(up, down, return_exceptions=True)
        for w in (client_w, server_w):
            w.close()


async def main():
    ap = argparse.ArgumentParser(
        description="Shape 127.0.0.1:LISTEN -> 127.0.0.1:TARGET as a far "
        "link: a time to first byte and a rate cap per connection.")
    ap.add_argument("listen", type=int)
    ap.add_argument("target", type=int)
    ap.add_argument("--ttfb-ms", type=float, default=0)
    ap.add_argument("--rate", type=parse_rate, default=0)
    ap.add_argument("--stats")
    ap.add_argument("--tag")
    ap.add_argument("--match", type=parse_match, action="append",
                    default=[])
    opts = ap.parse_args()

    stats = Stats(opts.stats, opts.tag, opts.match)
    stats.poll()
    stats.write()
    poller = asyncio.ensure_future(stats.run())

    async def handle(r, w):
        try:
            await serve(r, w, opts, stats)
        except (ConnectionError, OSError):
            pass

    server = await asyncio.start_server(handle, "127.0.0.1", opts.listen,
                                        reuse_address=True)
    print("ready", flush=True)
    try:
        async with server:
            await server.serve_forever()
    finally:
        poller.cancel()
        stats.write()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
