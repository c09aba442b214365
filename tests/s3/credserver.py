#!/usr/bin/env python3
"""A stand-in for the three AWS credential services, for the tests.

It hands out REAL temporary credentials of the radosgw that rgw.sh started
(one GetSessionToken call per answer, so every answer carries new keys),
through the protocols snapfs may get credentials with:

  GET  /container/creds          container credentials (what
                                 AWS_CONTAINER_CREDENTIALS_FULL_URI or
                                 _RELATIVE_URI point at); with --auth TOKEN
                                 the header "Authorization: TOKEN" is needed
  PUT  /latest/api/token         EC2 IMDSv2 session token (needs the header
                                 X-aws-ec2-metadata-token-ttl-seconds: 1..21600)
  GET  /latest/meta-data/iam/security-credentials/[snapfs-role]
                                 EC2 instance role (IMDSv2 token needed:
                                 IMDSv1 is refused with 401)
  POST /  (or GET /?...)         STS AssumeRoleWithWebIdentity; the
                                 WebIdentityToken must equal the content of
                                 --token-file (re-read at each call)
  GET  /ping                     "ok", for a test to wait on

  python3 credserver.py --port PORT --rgw-endpoint http://127.0.0.1:RGWPORT
      --key KEY --secret SECRET --lifetime SECONDS --token-file FILE
      --log FILE [--auth TOKEN] [--aws-cli [--aws-config FILE]]
      [--dump FILE] [--verbose]

Once it listens it prints "listening PORT" on stdout (PORT 0: the port the
system chose).  The Expiration it announces is now + --lifetime seconds,
not radosgw's (always 900 s: radosgw's minimum), so a test can make a
client refresh early.  Each issuance appends "<unix time> <service>
<AccessKeyId>" to --log (service: container, imds or sts), each refusal
"<unix time> refused <reason>"; --dump FILE appends "<unix time> TAB
<secret key> TAB <session token>" of each issuance.  Nothing secret goes to stdout or stderr;
--verbose logs method, path (no query: it may hold a token) and status on
stderr.

GetSessionToken is signed here with SigV4 (the aws CLI takes 2-3 s per
call); --aws-cli runs /usr/bin/aws instead, with --aws-config as its
AWS_CONFIG_FILE.  Standard library only.
"""

import argparse
import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

ROLE = "snapfs-role"
REGION = "us-east-1"
RGW_DURATION_S = 900        # radosgw's minimum (and AWS's)
IMDS_TTL_MAX_S = 21600
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

opts = None
log_lock = threading.Lock()
imds_lock = threading.Lock()
imds_tokens = {}            # token -> expiry (monotonic)


class Refused(Exception):
    """A request refused: HTTP status, log reason, and for STS the error
    code and message."""

    def __init__(self, status, reason, code="", message=""):
        super().__init__(reason)
        self.status, self.reason = status, reason
        self.code, self.message = code, message


def log_line(*words):
    with log_lock:
        with open(opts.log, "a") as f:
            f.write(" ".join([str(int(time.time()))] + list(words)) + "\n")
            f.flush()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# --- Getting real credentials from radosgw -------------------------------

def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def rgw_session_token_native():
    body = urllib.parse.urlencode({
        "Action": "GetSessionToken", "Version": "2011-06-15",
        "DurationSeconds": str(RGW_DURATION_S)}).encode()
    u = urllib.parse.urlsplit(opts.rgw_endpoint)
    path = u.path or "/"
    ctype = "application/x-www-form-urlencoded"
    amzdate = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    day = amzdate[:8]
    signed = "content-type;host;x-amz-date"
    canon = "\n".join([
        "POST", path, "",
        "content-type:" + ctype, "host:" + u.netloc, "x-amz-date:" + amzdate,
        "", signed, hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/sts/aws4_request" % (day, REGION)
    tosign = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                        hashlib.sha256(canon.encode()).hexdigest()])
    k = _hmac(("AWS4" + opts.secret).encode(), day)
    for part in (REGION, "sts", "aws4_request"):
        k = _hmac(k, part)
    sig = hmac.new(k, tosign.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(
        "%s://%s%s" % (u.scheme, u.netloc, path), data=body, method="POST",
        headers={
            "Content-Type": ctype, "X-Amz-Date": amzdate,
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, "
            "SignedHeaders=%s, Signature=%s" % (opts.key, scope, signed, sig)})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            doc = r.read()
    except urllib.error.HTTPError as e:
        raise Refused(502, "rgw-http-%d" % e.code)
    except OSError:
        raise Refused(502, "rgw-unreachable")
    # The element names, whatever the namespace.
    vals = {}
    for el in ET.fromstring(doc).iter():
        vals[el.tag.rsplit("}", 1)[-1]] = (el.text or "").strip()
    return vals


def rgw_session_token_cli():
    env = dict(os.environ)
    for v in list(env):
        if v.startswith("AWS_"):
            del env[v]
    env.update({
        "AWS_ACCESS_KEY_ID": opts.key, "AWS_SECRET_ACCESS_KEY": opts.secret,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": opts.aws_config or "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"})
    try:
        p = subprocess.run(
            ["/usr/bin/aws", "--endpoint-url", opts.rgw_endpoint, "sts",
             "get-session-token", "--duration-seconds", str(RGW_DURATION_S),
             "--output", "json"],
            env=env, stdin=subprocess.DEVNULL, capture_output=True,
            timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        raise Refused(502, "rgw-aws-cli-failed")
    if p.returncode != 0:
        raise Refused(502, "rgw-aws-cli-exit-%d" % p.returncode)
    try:
        return json.loads(p.stdout)["Credentials"]
    except (ValueError, KeyError, TypeError):
        raise Refused(502, "rgw-aws-cli-bad-output")


def fresh_creds(service):
    """A new set of temporary credentials, logged as issued by service."""
    vals = (rgw_session_token_cli if opts.aws_cli
            else rgw_session_token_native)()
    try:
        c = {"AccessKeyId": vals["AccessKeyId"],
             "SecretAccessKey": vals["SecretAccessKey"],
             "Token": vals["SessionToken"],
             "Expiration": iso(time.time() + opts.lifetime)}
    except KeyError:
        raise Refused(502, "rgw-no-credentials")
    if not all(c.values()):
        raise Refused(502, "rgw-no-credentials")
    log_line(service, c["AccessKeyId"])
    if opts.dump:
        with open(opts.dump, "a") as f:
            f.write("%d\t%s\t%s\n" % (time.time(), c["SecretAccessKey"],
                                       c["Token"]))
    return c


# --- The services ----------------------------------------------------------

def imds_token_ok(tok):
    if not tok:
        return False
    now = time.monotonic()
    with imds_lock:
        for t in [t for t, exp in imds_tokens.items() if exp <= now]:
            del imds_tokens[t]
        return tok in imds_tokens


def sts_error(status, code, message):
    return status, "text/xml", (
        '<ErrorResponse xmlns="%s"><Error><Type>Sender</Type>'
        "<Code>%s</Code><Message>%s</Message></Error>"
        "<RequestId>%s</RequestId></ErrorResponse>" % (
            STS_NS, escape(code), escape(message), uuid.uuid4()))


def assume_role_with_web_identity(params):
    def one(name):
        v = params.get(name)
        return v[0] if v else ""

    if one("Action") != "AssumeRoleWithWebIdentity":
        raise Refused(400, "sts-bad-action", "InvalidAction",
                      "Could not find operation %s" % one("Action"))
    if one("Version") != "2011-06-15":
        raise Refused(400, "sts-bad-version", "InvalidAction",
                      "Unsupported Version %s" % one("Version"))
    for name in ("RoleArn", "RoleSessionName", "WebIdentityToken"):
        if not one(name):
            raise Refused(400, "sts-no-" + name, "MissingParameter",
                          "The request must contain the parameter " + name)
    d = one("DurationSeconds")
    if d and not (d.isdigit() and 900 <= int(d) <= 43200):
        raise Refused(400, "sts-bad-duration", "ValidationError",
                      "DurationSeconds must be in 900..43200")
    try:
        with open(opts.token_file) as f:
            want = f.read().strip()
    except OSError:
        want = ""
    if not want or not hmac.compare_digest(
            one("WebIdentityToken").strip().encode(), want.encode()):
        raise Refused(400, "sts-bad-token", "InvalidIdentityToken",
                      "The web identity token that was passed could not be "
                      "validated by AWS. Get a new identity token from the "
                      "identity provider and then retry the request.")
    arn, session = one("RoleArn"), one("RoleSessionName")
    role = arn.rsplit("/", 1)[-1]
    c = fresh_creds("sts")
    body = (
        '<AssumeRoleWithWebIdentityResponse xmlns="%s">'
        "<AssumeRoleWithWebIdentityResult><Credentials>"
        "<AccessKeyId>%s</AccessKeyId>"
        "<SecretAccessKey>%s</SecretAccessKey>"
        "<SessionToken>%s</SessionToken>"
        "<Expiration>%s</Expiration></Credentials>"
        "<SubjectFromWebIdentityToken>snapfs-test"
        "</SubjectFromWebIdentityToken>"
        "<AssumedRoleUser><Arn>%s</Arn>"
        "<AssumedRoleId>%s</AssumedRoleId></AssumedRoleUser>"
        "</AssumeRoleWithWebIdentityResult>"
        "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
        "</AssumeRoleWithWebIdentityResponse>" % (
            STS_NS, escape(c["AccessKeyId"]), escape(c["SecretAccessKey"]),
            escape(c["Token"]), escape(c["Expiration"]),
            escape("arn:aws:sts::123456789012:assumed-role/%s/%s"
                   % (role, session)),
            escape("AROASNAPFSTESTROLE01:%s" % session), uuid.uuid4()))
    return 200, "text/xml", body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "credserver"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass        # the default one logs the request line, query and all

    def log_request(self, code="-", size="-"):
        if opts.verbose:
            path = urllib.parse.urlsplit(self.path).path
            sys.stderr.write("credserver: %s %s %s\n"
                             % (self.command, path, code))

    def answer(self, status, ctype, body, extra=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        n = self.headers.get("Content-Length")
        try:
            n = int(n) if n else 0
        except ValueError:
            n = 0
        return self.rfile.read(n) if n > 0 else b""

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        if method == "POST":
            data = self.body()
        if method == "GET" and path == "/ping":
            return 200, "text/plain", "ok"
        if method == "GET" and path == "/container/creds":
            if opts.auth is not None and not hmac.compare_digest(
                    (self.headers.get("Authorization") or "").encode(),
                    opts.auth.encode()):
                raise Refused(401, "container-auth")
            c = fresh_creds("container")
            return 200, "application/json", json.dumps(c)
        if method == "PUT" and path == "/latest/api/token":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not (ttl and ttl.isdigit() and
                    1 <= int(ttl) <= IMDS_TTL_MAX_S):
                raise Refused(400, "imds-bad-ttl")
            tok = secrets.token_urlsafe(40)
            with imds_lock:
                imds_tokens[tok] = time.monotonic() + int(ttl)
            return 200, "text/plain", tok, {
                "X-aws-ec2-metadata-token-ttl-seconds": ttl}
        creds_dir = "/latest/meta-data/iam/security-credentials"
        if method == "GET" and path.startswith(creds_dir):
            role = path[len(creds_dir):].lstrip("/")
            if not imds_token_ok(self.headers.get("X-aws-ec2-metadata-token")):
                raise Refused(401, "imds-token")
            if role == "":
                return 200, "text/plain", ROLE
            if role != ROLE:
                raise Refused(404, "imds-no-role")
            c = fresh_creds("imds")
            return 200, "application/json", json.dumps({
                "Code": "Success", "LastUpdated": iso(time.time()),
                "Type": "AWS-HMAC", "AccessKeyId": c["AccessKeyId"],
                "SecretAccessKey": c["SecretAccessKey"],
                "Token": c["Token"], "Expiration": c["Expiration"]})
        if path == "/" and method in ("GET", "POST"):
            params = urllib.parse.parse_qs(u.query)
            if method == "POST":
                for k, v in urllib.parse.parse_qs(
                        data.decode("utf-8", "replace")).items():
                    params.setdefault(k, []).extend(v)
            return assume_role_with_web_identity(params)
        raise Refused(404, "not-found")

    def handle_method(self, method):
        try:
            r = self.route(method)
        except Refused as e:
            log_line("refused", e.reason)
            if e.code:
                r = sts_error(e.status, e.code, e.message)
            elif e.status == 404:
                r = (404, "text/plain", "not found")
            else:
                r = (e.status, "text/plain", e.reason)
        except Exception as e:      # a bug here: answer, log, carry on
            log_line("refused", "internal-error")
            sys.stderr.write("credserver: internal error: %s\n"
                             % type(e).__name__)
            r = (500, "text/plain", "internal error")
        self.answer(*r)

    def do_GET(self):
        self.handle_method("GET")

    def do_POST(self):
        self.handle_method("POST")

    def do_PUT(self):
        self.handle_method("PUT")


class Server(ThreadingHTTPServer):
    daemon_threads = True       # a keep-alive client must not delay exit
    allow_reuse_address = True
    request_queue_size = 64     # many clients at once: 5 would drop SYNs


def main():
    global opts
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rgw-endpoint", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--lifetime", type=int, required=True)
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--auth")
    ap.add_argument("--aws-cli", action="store_true")
    ap.add_argument("--aws-config")
    ap.add_argument("--dump", help="append each secret and token issued, "
                    "for a test to look for them where they must not be")
    ap.add_argument("--verbose", action="store_true")
    opts = ap.parse_args()

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    srv = Server(("127.0.0.1", opts.port), Handler)
    try:
        print("listening %d" % srv.server_address[1], flush=True)
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
