#!/usr/bin/python3
"""A real SMTP server for tests, on aiosmtpd (Debian's python3-aiosmtpd 1.4.3).

Run it with /usr/bin/python3: aiosmtpd is installed for Debian's Python, not
for another python3 that may come first on PATH.

    /usr/bin/python3 tests/support/smtp_server.py --dir DIR --port 0 \
        [--tls-cert CERT --tls-key KEY] [--implicit-tls] [--require-starttls] \
        [--auth user:password]

- Listens on 127.0.0.1. With --port 0 it takes a free port; either way it
  writes the port to DIR/port (atomically) once it accepts connections and
  prints "smtp server listening on 127.0.0.1:PORT".
- Every message accepted is written as DIR/messages/<n>.json (the envelope:
  mail_from, rcpt_tos, whether TLS and AUTH were used) and then
  DIR/messages/<n>.eml (the raw content, exactly as received), each through
  a temporary file and a rename: a reader that sees <n>.eml sees both whole.
  Numbers go on from the highest already in DIR/messages, so a server
  restarted on the same DIR never overwrites what an earlier one received.
- --tls-cert/--tls-key: STARTTLS is offered (and with --require-starttls,
  required before MAIL); with --implicit-tls the port speaks TLS from the
  first byte instead (SMTPS).
- --auth user:password: AUTH PLAIN and LOGIN with these credentials are
  required before MAIL; they are offered only over TLS.
- SIGTERM or SIGINT stops it cleanly (exit status 0).

    /usr/bin/python3 tests/support/smtp_server.py --dump-eml FILE

prints one JSON object describing a message, parsed by Python's email
package (not by the code under test): "headers" ([name, value] pairs,
RFC 2047 decoded and unfolded), "raw_headers" (as written), "subject",
"content_type", "parts" ([{content_type, charset, transfer_encoding,
text}] of the leaves, bodies decoded), "defects" and "crlf_only" (every
line ends in CRLF).
"""

import argparse
import json
import logging
import os
import signal
import socket
import ssl
import sys
import tempfile
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def write_atomically(path, data):
    """Writes bytes to a temporary file beside `path`, then renames it there."""
    directory = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.rename(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def highest_message_number(directory):
    highest = 0
    for name in os.listdir(directory):
        stem, dot, ext = name.partition(".")
        if dot and ext in ("eml", "json") and stem.isdigit():
            highest = max(highest, int(stem))
    return highest


class Recorder:
    """The aiosmtpd handler: records each message under DIR/messages."""

    def __init__(self, directory, implicit_tls):
        self.messages = os.path.join(directory, "messages")
        os.makedirs(self.messages, exist_ok=True)
        self.implicit_tls = implicit_tls
        self.lock = threading.Lock()
        self.count = highest_message_number(self.messages)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content
        if content is None:
            content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        with self.lock:
            self.count += 1
            number = self.count
        meta = {
            "number": number,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            # session.ssl is set after STARTTLS; aiosmtpd does not mark a
            # connection that was TLS from the start, so say so ourselves.
            "tls": bool(session.ssl) or self.implicit_tls,
            "authenticated": bool(session.authenticated),
            "auth_login": login,
            "peer": list(session.peer) if session.peer else None,
            "size": len(content),
        }
        base = os.path.join(self.messages, str(number))
        write_atomically(base + ".json", json.dumps(meta, indent=1).encode())
        write_atomically(base + ".eml", content)
        print(f"smtp server: message {number} from {envelope.mail_from} to "
              f"{', '.join(envelope.rcpt_tos)} ({len(content)} bytes)", flush=True)
        return "250 2.0.0 Message accepted for delivery"


def make_authenticator(expected_user, expected_password):
    expected = (expected_user.encode(), expected_password.encode())

    def authenticator(server, session, envelope, mechanism, auth_data):
        if mechanism not in ("LOGIN", "PLAIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        if (auth_data.login, auth_data.password) == expected:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)  # 535 5.7.8

    return authenticator


class BoundController(Controller):
    """A Controller serving on a socket bound beforehand.

    Controller binds host:port itself and then connects to that port to
    check that the server answers, so it cannot be given port 0. Binding
    first (port 0 picks a free port) and handing the socket over leaves no
    gap in which another process could take the port. _create_server is the
    method aiosmtpd's BaseController documents for subclasses to override.
    """

    def __init__(self, handler, sock, **kwargs):
        self._listening_socket = sock
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)

    def _create_server(self):
        return self.loop.create_server(
            self._factory_invoker, sock=self._listening_socket, ssl=self.ssl_context
        )


def bind_loopback(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A server restarted on the port of one that just stopped (the retry
    # tests do) must not wait for TIME_WAIT to pass.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    sock.setblocking(False)
    return sock


def server_tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)  # verify_mode CERT_NONE: no client certificates
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def dump_eml(path):
    import email
    import email.policy

    with open(path, "rb") as f:
        raw = f.read()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "us-ascii"
        parts.append({
            "content_type": part.get_content_type(),
            "charset": charset,
            "transfer_encoding": part.get("Content-Transfer-Encoding", ""),
            "text": payload.decode(charset, "replace"),
        })
    out = {
        "headers": [[name, str(value)] for name, value in message.items()],  # decoded, unfolded
        "raw_headers": [[name, value] for name, value in message.raw_items()],  # as written
        "subject": str(message.get("Subject", "")),
        "content_type": message.get_content_type(),
        "parts": parts,
        "defects": [repr(d) for d in message.defects],
        "crlf_only": b"\n" not in raw.replace(b"\r\n", b""),
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


def main():
    parser = argparse.ArgumentParser(description="An SMTP server for tests (aiosmtpd).")
    parser.add_argument("--dir", help="where the port file and messages/ go")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one")
    parser.add_argument("--tls-cert", help="PEM certificate (chain) of the server")
    parser.add_argument("--tls-key", help="PEM private key of the server")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (SMTPS) instead of STARTTLS")
    parser.add_argument("--require-starttls", action="store_true", help="refuse MAIL before STARTTLS")
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require AUTH (PLAIN or LOGIN) with these credentials")
    parser.add_argument("--dump-eml", metavar="FILE", help="print a parsed message as JSON and exit")
    args = parser.parse_args()

    if args.dump_eml:
        return dump_eml(args.dump_eml)
    if not args.dir:
        parser.error("--dir is required")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if (args.implicit_tls or args.require_starttls) and not args.tls_cert:
        parser.error("--implicit-tls and --require-starttls need --tls-cert and --tls-key")
    if args.implicit_tls and args.require_starttls:
        parser.error("--implicit-tls and --require-starttls exclude each other")
    if args.auth is not None and ":" not in args.auth:
        parser.error("--auth takes user:password")

    # aiosmtpd logs a deprecation warning on every AUTH (Session.login_data);
    # session errors (ERROR) still show.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    os.makedirs(args.dir, exist_ok=True)
    handler = Recorder(args.dir, args.implicit_tls)
    context = server_tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None

    smtp_options = {
        "server_hostname": "signet-test-smtp",  # else SMTP() calls socket.getfqdn()
        "ready_timeout": 10.0,
        "data_size_limit": 10 * 1024 * 1024,
        "enable_SMTPUTF8": False,
    }
    if args.implicit_tls:
        smtp_options["ssl_context"] = context
    elif context is not None:
        smtp_options["tls_context"] = context
        smtp_options["require_starttls"] = args.require_starttls
    if args.auth is not None:
        user, _, password = args.auth.partition(":")
        smtp_options["authenticator"] = make_authenticator(user, password)
        smtp_options["auth_required"] = True
        # aiosmtpd counts only STARTTLS as TLS: on an implicit-TLS port it
        # would refuse AUTH with 538 and never offer it. The connection is
        # encrypted there from the first byte, so requiring TLS again is moot.
        smtp_options["auth_require_tls"] = not args.implicit_tls
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")

    sock = bind_loopback(args.port)
    port = sock.getsockname()[1]
    controller = BoundController(handler, sock, **smtp_options)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    controller.start()
    write_atomically(os.path.join(args.dir, "port"), f"{port}\n".encode())
    mode = "implicit TLS" if args.implicit_tls else ("STARTTLS" if context else "plain")
    print(f"smtp server listening on 127.0.0.1:{port} ({mode}"
          f"{', AUTH required' if args.auth is not None else ''})", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()
        sock.close()
    print("smtp server stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
