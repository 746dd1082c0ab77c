"""Run WSGI apps and `python -m` services for the operations tests (always on port 0)."""
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"


@contextlib.contextmanager
def wsgi_thread(app):
    """The app on 127.0.0.1:<free port> in a thread of this process; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(5)


class Service:
    """A `python -m <module>` process; `address` is the first line of its stdout (when
    `prints_address`). Its stderr goes to a log file under var/ (`.log()`, `.wait_log()`)."""

    def __init__(self, module: str, *args: str, env: dict | None = None, name: str | None = None,
                 prints_address: bool = True):
        VAR.mkdir(exist_ok=True)
        self.log_path = VAR / f"{name or module.rsplit('.', 1)[-1]}-{os.getpid()}-{time.monotonic_ns()}.log"
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, text=True,
                                         stdout=subprocess.PIPE, stderr=log,
                                         env={**os.environ, **(env or {})})
        self.address = self.proc.stdout.readline().strip() if prints_address else None
        assert self.address or not prints_address, f"{module} printed no address; log:\n{self.log()}"

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_log(self, pattern: str, timeout: float = 60.0) -> re.Match:
        """Wait until a log line matches `pattern`; the match."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log())
            if found:
                return found
            assert self.proc.poll() is None, f"exited {self.proc.returncode}; log:\n{self.log()}"
            time.sleep(0.1)
        raise AssertionError(f"no log line matches {pattern!r}; log:\n{self.log()}")

    def terminate(self, timeout: float = 40) -> int:
        """SIGTERM, then wait: the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def wait_http(url: str, status: int = 200, timeout: float = 60.0) -> requests.Response:
    """Poll `url` until it answers `status`; the response."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = requests.get(url, timeout=2)
            if last.status_code == status:
                return last
        except requests.RequestException as error:  # refused, or busy starting up
            last = error
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {status} within {timeout} s: {last!r}")
