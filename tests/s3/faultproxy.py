"""A fault-injecting proxy for the tests, python3 stdlib only.

    faultproxy.py LISTEN_PORT TARGET_PORT CONTROL_FILE

Forwards 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT and prints
"ready" once it listens.  What it does to the traffic is read from
CONTROL_FILE, one line, whenever that file changes (write a new file and
rename it over the old one); connections open at a change are reset, so
that the new mode applies to all that follow:

    MODE [count=N] [ratio=R] [match=TEXT] [after=N] [ms=N]

TCP modes, per connection, on the server's answer:
    pass        forward everything (also: no or empty control file)
    delay       wait ms (default 500) before each piece forwarded
    cut         forward after (default 0) bytes, then close the connection
    stall       forward after (default 0) bytes, then send nothing more
                and keep the connection open
    reset       close the client's connection with a TCP RST at once
    refuse      stop listening: connections are refused

HTTP modes, per request: the proxy reads each request, and answers a
faulted one itself instead of the server:
    500         HTTP 500 with an empty body
    503         HTTP 503 with an S3 SlowDown error body
    short       the server's answer with its Content-Length kept but the
                body cut in half, then the connection closed
    garbage     HTTP 200 with a body that is not XML (for listings)
    s3error     HTTP 500 with an S3 InternalError body
    hold        no answer at all, the connection kept open (a stall of
                the requests that match only)
    region      the bucket is in region=NAME: a request signed for
                another region gets S3's HTTP 301 PermanentRedirect with
                x-amz-bucket-region: NAME; one signed for NAME passes

count=N faults only the first N connections or requests that match (then
passes everything), ratio=R faults each with probability R, match=TEXT
faults only requests (HTTP modes) whose request line contains TEXT.  Each
fault is printed on stdout as "fault MODE REQUEST-LINE", so that a test
can count them.
"""
import asyncio
import os
import random
import socket
import struct
import sys

HTTP_MODES = ("500", "503", "short", "garbage", "s3error", "hold",
              "region")


class Control:
    def __init__(self, path):
        self.path = path
        self.stamp = None
        self.changed = None
        self.set("pass")

    def set(self, line):
        words = line.split()
        self.mode = words[0] if words else "pass"
        opts = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        self.count = int(opts["count"]) if "count" in opts else None
        self.ratio = float(opts.get("ratio", "1"))
        self.match = opts.get("match")
        self.after = int(opts.get("after", "0"))
        self.ms = int(opts.get("ms", "500"))
        self.region = opts.get("region", "us-east-1")

    def poll(self):
        try:
            st = os.stat(self.path)
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp == self.stamp:
            return
        self.stamp = stamp
        try:
            with open(self.path) as f:
                self.set(f.readline())
        except OSError:
            self.set("pass")
        if self.changed is not None:
            self.changed()

    def fault(self, what=""):
        """Whether this connection or request is faulted (and count it)."""
        self.poll()
        if self.mode == "pass":
            return False
        if self.match is not None and self.match not in what:
            return False
        if self.count is not None and self.count <= 0:
            return False
        if random.random() >= self.ratio:
            return False
        if self.count is not None:
            self.count -= 1
        print("fault", self.mode, what, flush=True)
        return True


async def read_head(reader):
    """An HTTP head (request or status line and headers), or None."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ConnectionError):
        return None
    return head


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


async def read_body(reader, head, no_body=False):
    """The body that follows head, raw (chunked framing kept)."""
    if no_body:
        return b""
    n = header(head, b"content-length")
    if n is not None:
        return await reader.readexactly(int(n))
    if (header(head, b"transfer-encoding") or b"").lower() == b"chunked":
        out = b""
        while True:
            line = await reader.readuntil(b"\r\n")
            out += line
            size = int(line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            out += chunk
            if size == 0:
                return out
    return b""


def reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    writer.close()


def answer(status, reason, body, ctype=b"application/xml", extra=b""):
    return (b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            b"%sConnection: close\r\n\r\n" % (status, reason, ctype,
                                               len(body), extra) + body)


S3_ERROR = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
            b'<Message>%s</Message><RequestId>faultproxy</RequestId></Error>')


async def pipe(reader, writer, ctl, mode):
    sent = 0
    try:
        while data := await reader.read(65536):
            if mode == "delay":
                await asyncio.sleep(ctl.ms / 1000)
            if mode in ("cut", "stall") and sent + len(data) > ctl.after:
                writer.write(data[:ctl.after - sent])
                await writer.drain()
                if mode == "cut":
                    break
                await asyncio.Event().wait()	# until the client goes
            writer.write(data)
            sent += len(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def tcp(client_r, client_w, target, ctl):
    mode = ctl.mode if ctl.fault("connection") else "pass"
    if mode == "reset":
        reset(client_w)
        return
    try:
        server_r, server_w = await asyncio.open_connection("127.0.0.1",
                                                           target)
    except OSError:
        reset(client_w)
        return
    up = asyncio.ensure_future(pipe(client_r, server_w, ctl, "pass"))
    down = asyncio.ensure_future(pipe(server_r, client_w, ctl, mode))
    await asyncio.wait([up, down], return_when=asyncio.FIRST_COMPLETED)
    # One side is done: when the client leaves, so does everything.
    if up.done():
        down.cancel()
        server_w.close()
    await asyncio.gather(up, down, return_exceptions=True)


async def http(client_r, client_w, target, ctl):
    server_r = server_w = None
    try:
        while (head := await read_head(client_r)) is not None:
            body = await read_body(client_r, head)
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method = line.split(" ", 1)[0]
            ctl.poll()
            scope = b"/%s/s3/aws4_request" % ctl.region.encode()
            if ctl.mode == "region" and scope in (header(
                    head, b"authorization") or b""):
                mode = "pass"		# signed for the bucket's region
            else:
                mode = ctl.mode if ctl.fault(line) else "pass"
            if mode == "500":
                client_w.write(answer(500, b"Internal Server Error", b""))
            elif mode == "503":
                client_w.write(answer(503, b"Slow Down", S3_ERROR % (
                    b"SlowDown", b"Please reduce your request rate.")))
            elif mode == "s3error":
                client_w.write(answer(500, b"Internal Server Error",
                    S3_ERROR % (b"InternalError",
                    b"We encountered an internal error.")))
            elif mode == "garbage":
                client_w.write(answer(200, b"OK",
                    b"<ListBucketResult><Contents><Key>x</Ke\x00\xff garbage"))
            elif mode == "hold":
                await client_r.read()	# until the client goes
            elif mode == "region":
                client_w.write(answer(301, b"Moved Permanently",
                    b"" if method == "HEAD" else S3_ERROR % (
                        b"PermanentRedirect", b"The bucket you are "
                        b"attempting to access must be addressed using "
                        b"the specified endpoint."),
                    extra=b"x-amz-bucket-region: %s\r\n" %
                    ctl.region.encode()))
            if mode not in ("pass", "short"):
                await client_w.drain()
                break			# Connection: close
            if server_w is None:
                server_r, server_w = await asyncio.open_connection(
                    "127.0.0.1", target)
            server_w.write(head + body)
            await server_w.drain()
            rhead = await read_head(server_r)
            if rhead is None:
                break
            status = int(rhead.split(b" ", 2)[1])
            rbody = await read_body(server_r, rhead, method == "HEAD" or
                                    status in (204, 304) or
                                    100 <= status < 200)
            if mode == "short":
                client_w.write(rhead + rbody[:len(rbody) // 2])
                await client_w.drain()
                break
            client_w.write(rhead + rbody)
            await client_w.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        pass
    finally:
        client_w.close()
        if server_w is not None:
            server_w.close()


async def main():
    listen, target = int(sys.argv[1]), int(sys.argv[2])
    ctl = Control(sys.argv[3])

    conns = set()

    def changed():
        # Connections opened under the old mode go; new ones get the new.
        for w in list(conns):
            reset(w)
    ctl.changed = changed

    async def handle(r, w):
        ctl.poll()
        conns.add(w)
        try:
            await serve(r, w)
        finally:
            conns.discard(w)

    async def serve(r, w):
        ctl.poll()
        if ctl.mode in HTTP_MODES:
            await http(r, w, target, ctl)
        else:
            await tcp(r, w, target, ctl)

    server = None
    while True:
        ctl.poll()
        if ctl.mode == "refuse" and server is not None:
            # As if the server died: no listener, no open connection.
            server.close()
            server = None
        elif ctl.mode != "refuse" and server is None:
            server = await asyncio.start_server(handle, "127.0.0.1", listen,
                                                reuse_address=True)
            print("ready", flush=True)
        await asyncio.sleep(0.05)


asyncio.run(main())
