"""The system under test as processes, watched from outside: its CPU from /proc, its metrics
from /metrics. The app is `python -m app` as `make run` serves it (gunicorn, one worker process
with threads; on the embedded default the saga worker, relay and scheduler are threads of it);
optionally Kafka (`python -m app.messaging.broker`) and the bank (`python -m
app.adapters.bank.server`) are processes of their own, as in the scaled-out shape."""
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "demo-admin"


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU of a process (all its threads and its reaped children), from /proc."""
    fields = [int(v) for v in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:15]]
    tick = os.sysconf("SC_CLK_TCK")
    return (fields[0] + fields[2]) / tick, (fields[1] + fields[3]) / tick  # utime+cutime, stime+cstime


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


class ServiceProcess:
    """`python -m <module>`; `address` is the first line it prints; its log goes to `log_path`."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], log_path: Path):
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.name, self.log_path = module, log_path
        with open(log_path, "w") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, text=True,
                                         stdout=subprocess.PIPE, stderr=log, env={**os.environ, **env})
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            raise SystemExit(f"`python -m {module}` printed no address; see {log_path}")
        self.pids = [self.proc.pid]

    def cpu_seconds(self) -> tuple[float, float]:
        """User and system CPU of the process and of the children it started (gunicorn's worker)."""
        times = [cpu_seconds(pid) for pid in self.pids]
        return sum(t[0] for t in times), sum(t[1] for t in times)

    def stop(self, timeout: float = 40) -> int:
        """SIGTERM (gunicorn stops its worker threads gracefully), then wait: the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def _with_gunicorn_workers(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = children(self.proc.pid)
            if found:
                self.pids = [self.proc.pid, *found]
                return
            time.sleep(0.05)
        raise SystemExit(f"gunicorn ({self.name}) started no worker process")


class BankProcess(ServiceProcess):
    def __init__(self, log_path: Path):
        super().__init__("app.adapters.bank.server", ["--port", "0"], {}, log_path)
        self._with_gunicorn_workers()


class AppProcess(ServiceProcess):
    """`python -m app` with PORT=0; `address` is the URL gunicorn printed."""

    def __init__(self, log_path: Path, env: dict[str, str]):
        super().__init__("app", [], {"PORT": "0", **env}, log_path)
        parts = urlsplit(self.address)
        self.host, self.port = parts.hostname, parts.port
        self._with_gunicorn_workers()
        self.worker_pid = self.pids[1]

    def get(self, path: str, token: str = ADMIN_TOKEN) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def wait_ready(self, timeout: float = 90) -> None:
        """/readyz: the store, Kafka, the model, and the workers' partition assignment."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"`python -m app` exited {self.proc.returncode}; see {self.log_path}")
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"`python -m app` not ready within {timeout} s; see {self.log_path}")

    def kafka_bootstrap(self) -> str:
        status, body = self.get("/api/v1/dev/kafka")
        if status != 200:
            raise SystemExit(f"GET /api/v1/dev/kafka: HTTP {status}")
        return json.loads(body)["bootstrap"]

    def metrics(self, *wanted: tuple[str, dict]) -> list[float]:
        """Sums of metrics' samples on /metrics, each (name, {label: value}) narrowed to those labels."""
        status, body = self.get("/metrics")
        if status != 200:
            raise SystemExit(f"GET /metrics: HTTP {status}")
        samples = [s for family in text_string_to_metric_families(body.decode()) for s in family.samples]
        return [sum(s.value for s in samples
                    if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()))
                for name, labels in wanted]
