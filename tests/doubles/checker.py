"""What the checks of the stand-ins by real clients share (check_with_hvac.py,
check_with_authlib.py): counting passes and failures, one line per failure,
exceptions expected by their exact class, and sections that keep going."""
import os
import signal
import subprocess
import sys
import time
import traceback


class Checker:
    def __init__(self, name, verbose=False):
        self.name, self.verbose = name, verbose
        self.passed, self.failed = 0, 0

    def ok(self, what, condition, detail=""):
        if condition:
            self.passed += 1
            if self.verbose:
                print("%s: ok: %s" % (self.name, what))
        else:
            self.failed += 1
            print("%s: FAIL: %s %s" % (self.name, what, detail), file=sys.stderr)
        return condition

    def raises(self, what, exc_type, fn, /, *args, **kwargs):
        """fn must raise exc_type (exactly that class); the exception is returned."""
        try:
            fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the class is checked below
            self.ok(what, type(exc) is exc_type, "raised %s: %s" % (type(exc).__name__, exc))
            return exc
        self.ok(what, False, "did not raise %s" % exc_type.__name__)
        return None

    def section(self, fn, *args):
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - a section that blows up is one failure, the rest still run
            self.failed += 1
            print("%s: FAIL: section %s raised:\n%s" % (self.name, fn.__name__, traceback.format_exc()), file=sys.stderr)


def start_double(script, directory, args, log_path):
    """Starts a stand-in (python3 SCRIPT --dir DIRECTORY ARGS...), waits for
    its port file and returns (process, base URL)."""
    log = open(log_path, "ab")
    proc = subprocess.Popen([sys.executable, script, "--dir", directory] + list(args), stdout=log, stderr=log)
    port_file = os.path.join(directory, "port")
    for _ in range(200):
        if os.path.exists(port_file):
            return proc, "http://127.0.0.1:%s" % open(port_file).read().strip()
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("the double did not start; see %s" % log_path)


def stop_double(proc):
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)
