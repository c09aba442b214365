#!/usr/bin/env python3
"""A fake S3 server for listings no real server gives: every
ListObjectsV2 page says IsTruncated with a continuation token from a
cycle (a -> b -> c -> a ...), so a client that follows tokens blindly
lists forever.  Each page holds one object and one common prefix.  HEAD
and GET of an object answer 404 with an S3 <Error> body.  No signature is
checked.

    fakes3.py PORTFILE      listens on 127.0.0.1, a free port, written
                            to PORTFILE once it listens; runs until killed
"""

import http.server
import socketserver
import sys
import urllib.parse

NEXT = {None: "a", "a": "b", "b": "c", "c": "a"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("fakes3: %s\n" % (fmt % args))

    def answer(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self):
        self.answer(404, "")

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        if q.get("list-type") != ["2"]:
            self.answer(404, "<Error><Code>NoSuchKey</Code>"
                        "<Message>no objects here</Message></Error>")
            return
        token = q.get("continuation-token", [None])[0]
        prefix = q.get("prefix", [""])[0]
        nxt = NEXT.get(token, "a")
        self.answer(200, (
            '<?xml version="1.0" encoding="UTF-8"?>'
            "<ListBucketResult><Name>b</Name><Prefix>%s</Prefix>"
            "<IsTruncated>true</IsTruncated>"
            "<NextContinuationToken>%s</NextContinuationToken>"
            "<Contents><Key>%sobj-%s</Key>"
            "<LastModified>2024-03-01T08:00:00.000Z</LastModified>"
            "<Size>1</Size></Contents>"
            "<CommonPrefixes><Prefix>%s__palo_repository_r%s/</Prefix>"
            "</CommonPrefixes></ListBucketResult>") %
            (prefix, nxt, prefix, token or "0", prefix, token or "0"))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
