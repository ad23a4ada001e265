"""What the stand-ins under tests/doubles share: files written whole, a
loopback server that announces its port and stops cleanly on a signal, a
handler that logs one line per request, and connections dropped unanswered."""
import os
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


def write_atomic(path, data, mode=None):
    # Write-then-rename so a reader (or a crash) never sees half a file. No
    # fsync: a stand-in only has to survive its own restarts, not a power cut.
    tmp = "%s.tmp.%d.%d" % (path, os.getpid(), threading.get_ident())
    with open(tmp, "wb") as handle:
        handle.write(data)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def _stop(signum, frame):
    raise SystemExit(0)  # unwinds serve_forever() so the finally clause can tidy up


def serve(name, directory, port, server_class, handler, make_double, on_bound=None):
    """Listens on 127.0.0.1:port until SIGTERM or SIGINT. DIR/port is written
    once the socket is bound (and removed at the end), then the line
    "<name>: listening on http://127.0.0.1:PORT" is printed."""
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    os.makedirs(directory, exist_ok=True)
    port_file = os.path.join(directory, "port")
    if os.path.exists(port_file):
        os.remove(port_file)  # a stale port must never be mistaken for this run's
    double = make_double()
    try:
        server = server_class(("127.0.0.1", port), handler)
    except OSError as exc:
        print("%s: cannot listen on 127.0.0.1:%d: %s" % (name, port, exc), file=sys.stderr)
        return 1
    server.double = double
    if on_bound:
        on_bound(double)
    bound = server.server_address[1]
    write_atomic(port_file, ("%d\n" % bound).encode())
    print("%s: listening on http://127.0.0.1:%d" % (name, bound), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if os.path.exists(port_file):
            os.remove(port_file)
    return 0


class DropConnection(Exception):
    """Close the connection without answering (reset=True sends a TCP RST)."""

    def __init__(self, reset=False):
        super().__init__("drop")
        self.reset = reset


class BodyTooLarge(OverflowError, ValueError):
    """A request body over the handler's max_body (a ValueError too, for
    stand-ins that answer every unreadable body alike)."""


def transport_fault(fault):
    """Carries out the faults that are not an answer: drop and reset raise
    DropConnection, delay sleeps. True when the request then goes on."""
    if fault["kind"] in ("drop", "reset"):
        raise DropConnection(reset=fault["kind"] == "reset")
    if fault["kind"] == "delay":
        time.sleep(fault.get("seconds", 1))
        return True
    return False


def take_fault(faults, matches, stats):
    """The first queued fault that `matches` (a predicate), counted down and
    dropped when used up; None when none applies. The caller holds its lock."""
    for fault in faults:
        if not matches(fault):
            continue
        fault["count"] -= 1
        if fault["count"] <= 0:
            faults.remove(fault)
        stats["faults_served"] += 1
        return fault
    return None


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def get_request(self):
        # An answer is several writes (status line, headers, body): without
        # TCP_NODELAY each one after the first waits for the client's delayed
        # ACK, ~40 ms, and a client making many calls is timed on that.
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout, OSError)):
            return  # the client went away (or a dropped connection); nothing to report
        super().handle_error(request, client_address)


_DEFAULT = object()


class Reply:
    """One answer of a stand-in: status, body bytes, content type (each
    stand-in's default as its service writes it; None for no header), more
    headers, and a note for the log line."""
    content_type_default = "application/json"

    def __init__(self, status, body=b"", content_type=_DEFAULT, headers=(), note=""):
        self.status, self.body = status, body
        self.content_type = self.content_type_default if content_type is _DEFAULT else content_type
        self.headers, self.note = list(headers), note


class LoggingHandler(BaseHTTPRequestHandler):
    """One stderr line per request: method, path (no query, headers or body:
    nothing secret) and outcome, prefixed with log_name; and the request
    body read whole, chunked or not, up to max_body."""
    log_name = "double"
    max_body = 8 * 1024 * 1024

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > self.max_body:
                    raise BodyTooLarge()
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("bad Content-Length")
        if length > self.max_body:
            raise BodyTooLarge()
        return self.rfile.read(length)

    extra_headers = ()  # sent with every answer

    def send(self, reply):
        """Writes a Reply: no body for a 204 or a HEAD; then the log line."""
        self.send_response(reply.status)
        if reply.status != 204:
            if reply.content_type:
                self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
        for name, value in list(self.extra_headers) + reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if reply.status != 204 and self.command != "HEAD":
            self.wfile.write(reply.body)
        self.log_line("%d%s" % (reply.status, " (%s)" % reply.note if reply.note else ""))

    def log_line(self, outcome):
        sys.stderr.write("%s: %s %s -> %s\n" % (self.log_name, self.command, urlsplit(self.path).path, outcome))
        sys.stderr.flush()

    def log_request(self, code="-", size="-"):
        pass  # replaced by log_line

    def log_message(self, fmt, *args):
        sys.stderr.write("%s: %s\n" % (self.log_name, fmt % args))

    def drop(self, drop, unanswered="no answer"):
        # Nothing is written: the client sees the connection close (or reset) unanswered.
        self.close_connection = True
        if drop.reset:  # linger 0 + close = TCP RST rather than an orderly FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        self.log_line("dropped (%s)" % ("reset" if drop.reset else unanswered))
