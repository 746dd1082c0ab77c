"""Run WSGI apps and `python -m` services for the operations tests (always on port 0)."""
import contextlib
import os
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
    """A `python -m <module>` process whose first stdout line is its address; stderr goes to a
    log file under var/ (read it with `.log()`)."""

    def __init__(self, module: str, *args: str, env: dict | None = None, name: str | None = None):
        VAR.mkdir(exist_ok=True)
        self.log_path = VAR / f"{name or module.rsplit('.', 1)[-1]}-{os.getpid()}-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, text=True,
                                     stdout=subprocess.PIPE, stderr=self._log,
                                     env={**os.environ, **(env or {})})
        self.address = self.proc.stdout.readline().strip()
        assert self.address, f"{module} printed no address; log:\n{self.log()}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def terminate(self, timeout: float = 40) -> int:
        """SIGTERM, then wait: the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()

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
        except requests.ConnectionError as error:
            last = error
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {status} within {timeout} s: {last!r}")
