"""What the stand-ins under tests/doubles share: files written whole, and
a loopback server that announces its port and stops cleanly on a signal."""
import os
import signal
import sys
import threading


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
