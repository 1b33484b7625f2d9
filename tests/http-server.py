#!/usr/bin/env python3
"""http-server.py: a scripted HTTP(S) server for the http plugin's tests.

Usage: http-server.py --listen ADDR --port PORT --log FILE --script FILE
                      [--cert PEM --key PEM] [--ready FILE] [--conn-log FILE]

Only the Python 3 standard library.  Serves HTTPS with --cert/--key, plain
HTTP without.  PORT 0 picks a free port (the ready file tells which).

--log FILE       one JSON object per request, appended when the request has
                 been read (before it is answered, so a request the script
                 makes hang is logged too):
                   n (1-based; a restart on the same log goes on counting), time (seconds since
                   the epoch), client, tls, method, target (the raw request
                   target), path, query ({name: value}, a list when a name
                   repeats), query_pairs ([[name, value], ...] in order),
                   headers ({lower-case name: value}, repeats joined with
                   ", "), body (text; undecodable bytes as U+FFFD), user and
                   password (basic auth, decoded; null without), answer (the
                   status sent, or "hang" / "drop"), entry (its index in a
                   script list, else 0)
--conn-log FILE  one JSON object per connection event: {"event": "accept"},
                 {"event": "tls-error", "error": ...} (a handshake that
                 failed, e.g. the client refused the certificate),
                 {"event": "tls-ok"}, {"event": "hang-connect"}
--script FILE    how to answer, re-read on every request: a JSON object, or a
                 list of them used in order (then the last repeats; writing
                 a different script starts its list again).  Keys:
                   status   HTTP status (default 200)
                   body     the answer's body (default "")
                   headers  {name: value} added to the answer
                   delay    seconds to wait before answering (default 0)
                   hang     true: read the request, log it, never answer
                            (the connection stays open until the client
                            goes); "connect": accept the connection and
                            never read from it (not even the TLS handshake)
                   drop     true: close the connection without an answer
                 A missing or unreadable script answers 200 with no body.
--ready FILE     written (atomically) once the socket listens: the port and
                 a newline.  "listening on ADDR PORT" goes to stdout too.

Quiet on stderr except for real errors; a client that goes away is not one.
HTTP/1.1 with keep-alive (one connection may carry several requests).
SIGTERM ends it at once.
"""

import argparse
import base64
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 16 * 1024 * 1024
MAX_LINE = 65536

ARGS = None
LOCK = threading.Lock()       # the counters and the script's position
LOG_LOCK = threading.Lock()   # one writer at a time per log file
STATE = {"n": 0, "script": None, "pos": 0}
FOREVER = threading.Event()   # never set: what hanging threads wait on


def write_json_line(path, obj):
    """Append one JSON line with a single write (readers never see half)."""
    if not path:
        return
    data = (json.dumps(obj, sort_keys=True) + "\n").encode()
    with LOG_LOCK:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def conn_event(client, **kw):
    kw["time"] = time.time()
    kw["client"] = client
    write_json_line(ARGS.conn_log, kw)


def read_script():
    """The script's text and its entries (a list, at least one entry)."""
    try:
        with open(ARGS.script, "rb") as f:
            text = f.read(1024 * 1024)
    except OSError:
        return b"", [{}]
    try:
        v = json.loads(text.decode() or "{}")
    except (ValueError, UnicodeDecodeError) as e:
        print("http-server: bad script %s: %s" % (ARGS.script, e), file=sys.stderr)
        return text, [{"status": 500, "body": "bad script"}]
    if isinstance(v, dict):
        v = [v]
    if not isinstance(v, list) or not v or not all(isinstance(x, dict) for x in v):
        print("http-server: script %s: not an object or a list of objects" % ARGS.script,
              file=sys.stderr)
        return text, [{"status": 500, "body": "bad script"}]
    return text, v


def next_entry(peek=False):
    """The entry that answers this request (and its index); peek=True looks
    without using it up."""
    text, entries = read_script()
    with LOCK:
        if text != STATE["script"]:
            STATE["script"] = text
            STATE["pos"] = 0
        i = min(STATE["pos"], len(entries) - 1)
        if not peek:
            STATE["pos"] += 1
        return i, entries[i]


def parse_query(q):
    pairs = urllib.parse.parse_qsl(q, keep_blank_values=True)
    d = {}
    for k, v in pairs:
        if k in d:
            if not isinstance(d[k], list):
                d[k] = [d[k]]
            d[k].append(v)
        else:
            d[k] = v
    return d, [[k, v] for k, v in pairs]


def basic_auth(value):
    if not value:
        return None, None
    scheme, _, cred = value.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        raw = base64.b64decode(cred.strip(), validate=True).decode("utf-8", "replace")
    except ValueError:  # binascii.Error is one
        return None, None
    user, sep, password = raw.partition(":")
    return user, (password if sep else None)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nlevd-test-http"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):  # quiet: the JSON log says it all
        pass

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            out = bytearray()
            while True:
                line = self.rfile.readline(MAX_LINE)
                if not line:
                    break
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # trailers up to the empty line
                    while True:
                        t = self.rfile.readline(MAX_LINE)
                        if not t or t in (b"\r\n", b"\n"):
                            break
                    break
                if len(out) + size > MAX_BODY:
                    raise ValueError("body too large")
                out += self.rfile.read(size)
                self.rfile.readline(MAX_LINE)  # the CRLF after the chunk
            return bytes(out)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("bad Content-Length %d" % n)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        try:
            body = self.read_body()
        except ValueError as e:
            self.send_error(400, str(e))
            return
        idx, entry = next_entry()
        with LOCK:
            STATE["n"] += 1
            n = STATE["n"]
        u = urllib.parse.urlsplit(self.path)
        query, pairs = parse_query(u.query)
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = headers[k] + ", " + v if k in headers else v
        user, password = basic_auth(self.headers.get("Authorization"))
        if entry.get("hang"):
            answer = "hang"
        elif entry.get("drop"):
            answer = "drop"
        else:
            answer = int(entry.get("status", 200))
        write_json_line(ARGS.log, {
            "n": n, "time": time.time(), "client": self.client_address[0],
            "tls": bool(ARGS.cert), "method": self.command, "target": self.path,
            "path": u.path, "query": query, "query_pairs": pairs,
            "headers": headers, "body": body.decode("utf-8", "replace"),
            "user": user, "password": password, "answer": answer, "entry": idx,
        })
        if answer == "hang":
            # Never answer; the thread ends with the process (daemon threads).
            self.close_connection = True
            FOREVER.wait()
            return
        if answer == "drop":
            self.close_connection = True
            return
        delay = float(entry.get("delay", 0) or 0)
        if delay > 0:
            time.sleep(delay)
        data = str(entry.get("body", "")).encode()
        self.send_response(answer)
        extra = entry.get("headers") or {}
        if not any(k.lower() == "content-type" for k in extra):
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        for k, v in extra.items():
            self.send_header(str(k), str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, family, ctx):
        self.address_family = family
        self.ctx = ctx
        super().__init__(addr, Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()

    def finish_request(self, request, client_address):
        # In the request's own thread: a slow or failing TLS handshake never
        # holds up accept().
        client = client_address[0]
        conn_event(client, event="accept")
        try:
            _, entry = next_entry(peek=True)
            if entry.get("hang") == "connect":
                next_entry()
                conn_event(client, event="hang-connect")
                FOREVER.wait()
                return
            if self.ctx is not None:
                request.settimeout(30)
                try:
                    request = self.ctx.wrap_socket(request, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    conn_event(client, event="tls-error", error=str(e))
                    return
                request.settimeout(None)
                conn_event(client, event="tls-ok")
            self.RequestHandlerClass(request, client_address, self)
        finally:
            try:
                request.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, ssl.SSLError, TimeoutError, socket.timeout)):
            return  # the client went away: not our error
        print("http-server: error with %s: %r" % (client_address[0], e), file=sys.stderr)


def main():
    global ARGS
    p = argparse.ArgumentParser(description="scripted HTTP(S) test server")
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--log", required=True)
    p.add_argument("--conn-log")
    p.add_argument("--script", required=True)
    p.add_argument("--ready")
    ARGS = p.parse_args()
    # n goes on over restarts on the same log
    try:
        with open(ARGS.log, "rb") as f:
            STATE["n"] = sum(1 for _ in f)
    except OSError:
        pass
    if bool(ARGS.cert) != bool(ARGS.key):
        p.error("--cert and --key go together")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    ctx = None
    if ARGS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert, ARGS.key)
    family = socket.AF_INET6 if ":" in ARGS.listen else socket.AF_INET
    srv = Server((ARGS.listen, ARGS.port), family, ctx)
    port = srv.server_address[1]
    if ARGS.ready:
        tmp = ARGS.ready + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, ARGS.ready)
    print("listening on %s %d" % (ARGS.listen, port), flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
