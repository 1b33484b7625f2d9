#!/usr/bin/env python3
"""ctl-client.py: a tiny NDJSON client of nlevd's control socket, for tests.

Usage: ctl-client.py [-t SECONDS] SOCKET MODE [ARGS...]

  req JSON...          send each request line, print each reply line
  garbage BYTES        send BYTES bytes of 'x' and no newline; print what
                       comes back, then "closed" once the daemon closes
  line TEXT            send TEXT and a newline; print replies, then "closed"
  concurrent N JSON    N connections open at once, each sends JSON; prints
                       "answered K" (K replies with "ok": true)
  hold N               N connections held open; prints "connected N", then
                       each first line the daemon sends, until stdin closes
  stall JSON           send JSON (a monitor request), print the reply, then
                       never read again; prints "dropped" when the daemon
                       closes the connection
  monitor JSON N       send JSON, print the reply and the next N lines
  orphan JSON          connect, then leave the connection to a child and
                       exit: the child prints "orphaned" once this pid is
                       gone, then sends JSON and prints the reply
  noread JSON N        send JSON N times (as fast as the daemon takes them)
                       and never read; prints "dropped" when the daemon
                       closes the connection

Exit status: 0, 1 on an error (message on stderr), 2 on a timeout.
Only the standard library: it runs as any user (setpriv) without modules.
"""

import json
import os
import select
import socket
import sys
import time


def die(msg, code=1):
    print(f"ctl-client: {msg}", file=sys.stderr)
    sys.exit(code)


def connect(path, timeout):
    # A full listen backlog is EAGAIN, not a wait, on a socket with a
    # timeout: try again until the daemon has accepted the others.
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() >= deadline:
                die(f"connect {path}: the backlog stayed full", 2)
            time.sleep(0.01)
        except OSError as e:
            die(f"connect {path}: {e.strerror}")


class Lines:
    """Reads newline-terminated lines from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                die("timeout waiting for a reply", 2)
            except ConnectionResetError:
                data = b""
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")


def send_all(sock, data):
    """Send, but a daemon that closes on us is an answer, not an error."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def drain(sock):
    r = Lines(sock)
    while True:
        line = r.line()
        if line is None:
            print("closed")
            return
        print(line, flush=True)


def main():
    args = sys.argv[1:]
    timeout = 10.0
    if len(args) >= 2 and args[0] == "-t":
        timeout = float(args[1])
        args = args[2:]
    if len(args) < 2:
        die(__doc__.strip().splitlines()[2])
    path, mode, rest = args[0], args[1], args[2:]

    if mode == "req":
        s = connect(path, timeout)
        r = Lines(s)
        for req in rest:
            # A refused peer may be closed before it sends: read anyway.
            send_all(s, req.encode() + b"\n")
            line = r.line()
            if line is None:
                die("the daemon closed the connection")
            print(line, flush=True)
    elif mode == "garbage":
        s = connect(path, timeout)
        send_all(s, b"x" * int(rest[0]))
        drain(s)
    elif mode == "line":
        s = connect(path, timeout)
        send_all(s, rest[0].encode() + b"\n")
        drain(s)
    elif mode == "concurrent":
        n, req = int(rest[0]), rest[1].encode() + b"\n"
        socks = [connect(path, timeout) for _ in range(n)]
        for s in socks:
            send_all(s, req)
        ok = 0
        for s in socks:
            line = Lines(s).line()
            if line is not None and json.loads(line).get("ok") is True:
                ok += 1
        print(f"answered {ok}")
    elif mode == "hold":
        socks = [connect(path, timeout) for _ in range(int(rest[0]))]
        print(f"connected {len(socks)}", flush=True)
        # Print each first line as it comes, until stdin closes.
        waiting = {s.fileno(): s for s in socks}
        while True:
            rd, _, _ = select.select(list(waiting.values()) + [sys.stdin], [], [])
            if sys.stdin in rd and not sys.stdin.read(1):
                return
            for s in rd:
                if s is not sys.stdin:
                    print(Lines(s).line() or "closed", flush=True)
                    del waiting[s.fileno()]
    elif mode == "stall":
        s = connect(path, timeout)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        send_all(s, rest[0].encode() + b"\n")
        r = Lines(s)
        print(r.line(), flush=True)
        # Never read: wait for the hang-up the daemon's close gives.
        p = select.poll()
        p.register(s, select.POLLHUP | select.POLLRDHUP if hasattr(select, "POLLRDHUP")
                   else select.POLLHUP)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for _, ev in p.poll(100):
                if ev & (select.POLLHUP | getattr(select, "POLLRDHUP", 0)):
                    print("dropped", flush=True)
                    return
        die("not dropped", 2)
    elif mode == "orphan":
        s = connect(path, timeout)
        parent = os.getpid()
        if os.fork():
            os._exit(0)
        deadline = time.monotonic() + timeout
        while os.getppid() == parent:
            if time.monotonic() >= deadline:
                die("the parent did not exit", 2)
            time.sleep(0.01)
        print("orphaned", flush=True)
        send_all(s, rest[0].encode() + b"\n")
        line = Lines(s).line()
        print(line if line is not None else "closed", flush=True)
    elif mode == "noread":
        s = connect(path, timeout)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        data = (rest[0].encode() + b"\n") * int(rest[1])
        deadline = time.monotonic() + timeout
        p = select.poll()
        p.register(s, select.POLLOUT | select.POLLHUP)
        while time.monotonic() < deadline:
            try:
                if data:
                    data = data[s.send(data):]
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                print("dropped", flush=True)
                return
            for _, ev in p.poll(100):
                if ev & (select.POLLHUP | select.POLLERR):
                    print("dropped", flush=True)
                    return
                if not data:
                    time.sleep(0.1)
        die("not dropped", 2)
    elif mode == "monitor":
        s = connect(path, timeout)
        send_all(s, rest[0].encode() + b"\n")
        r = Lines(s)
        for _ in range(1 + int(rest[1])):
            line = r.line()
            if line is None:
                die("the daemon closed the connection")
            print(line, flush=True)
    else:
        die(f"unknown mode {mode}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(1)
