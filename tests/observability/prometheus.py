"""A real Prometheus server (Debian's package) scraping the application, for the tests.

Short scrape and evaluation intervals; the alert rules are deploy/prometheus's with their `for:`
durations taken out (the rule unit tests, `promtool test rules`, cover those), so an alert
fires at the first evaluation that sees its condition.
"""
import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
import yaml

from tests.ops.tools import ROOT, prometheus

RULES = ROOT / "deploy" / "prometheus" / "rules"


def rules_without_for(target: Path) -> list[Path]:
    written = []
    for path in sorted(RULES.glob("*.yml")):
        groups = yaml.safe_load(path.read_text())
        for group in groups["groups"]:
            for rule in group["rules"]:
                rule.pop("for", None)
        out = target / path.name
        out.write_text(yaml.safe_dump(groups))
        written.append(out)
    return written


class Prometheus:
    def __init__(self, workdir: Path, targets: dict[str, str], interval_s: float = 1.0):
        workdir.mkdir(parents=True, exist_ok=True)
        config = {
            "global": {"scrape_interval": f"{int(interval_s * 1000)}ms",
                       "scrape_timeout": f"{int(interval_s * 1000)}ms",
                       "evaluation_interval": f"{int(interval_s * 1000)}ms"},
            "rule_files": [str(p) for p in rules_without_for(workdir)],
            "scrape_configs": [{"job_name": job, "metrics_path": urlsplit(url).path or "/metrics",
                                "static_configs": [{"targets": [urlsplit(url).netloc]}]}
                               for job, url in targets.items()],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log_path = workdir / "prometheus.log"
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [prometheus(), f"--config.file={workdir / 'prometheus.yml'}",
                 f"--storage.tsdb.path={workdir / 'data'}", "--web.listen-address=127.0.0.1:0"],
                stdout=log, stderr=subprocess.STDOUT, cwd=workdir, env={**os.environ})
        found = self._wait_log(r'msg="Listening on" address=(\S+)')
        self.url = f"http://{found.group(1)}"
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        """It listens before its storage is open; until then the API answers 503 in plain text."""
        deadline = time.monotonic() + timeout
        while requests.get(f"{self.url}/-/ready", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, f"prometheus not ready:\n{self.log_path.read_text()}"
            assert self.proc.poll() is None, f"prometheus exited:\n{self.log_path.read_text()}"
            time.sleep(0.1)

    def _wait_log(self, pattern: str, timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.log_path.read_text())
            if found:
                return found
            assert self.proc.poll() is None, f"prometheus exited:\n{self.log_path.read_text()}"
            time.sleep(0.05)
        raise AssertionError(f"prometheus never logged {pattern!r}:\n{self.log_path.read_text()}")

    def query(self, expr: str) -> list[dict]:
        """The instant vector `expr` evaluates to now, through /api/v1/query."""
        answer = requests.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=5).json()
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def value(self, expr: str) -> float | None:
        """The value of a one-series result (None while there is none)."""
        result = self.query(expr)
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None

    def alerts(self) -> list[dict]:
        answer = requests.get(f"{self.url}/api/v1/alerts", timeout=5).json()
        assert answer["status"] == "success", answer
        return answer["data"]["alerts"]

    def eventually(self, check, what: str, timeout: float = 30.0):
        """Poll `check()` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"Prometheus never saw {what} within {timeout} s (last: {value!r})")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
