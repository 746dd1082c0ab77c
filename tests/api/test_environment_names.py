"""ESCROW_ENV is exactly `embedded` or `production`: any other spelling refuses to start (it
used to start the embedded mode, demo tokens included, on `Production`)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
NOT_NAMES = ["Production", "PRODUCTION", "prod", "EMBEDDED", "Embedded", " embedded", "production ",
             "production\n", "dev", "test", "embedded,production"]


@pytest.mark.parametrize("value", NOT_NAMES)
def test_an_unknown_environment_name_is_refused(monkeypatch, value):
    monkeypatch.setenv("ESCROW_ENV", value)
    with pytest.raises(SystemExit) as refused:
        load_settings()
    assert "ESCROW_ENV must be one of embedded, production" in str(refused.value)
    assert repr(value) in str(refused.value)


@pytest.mark.parametrize("value", ["embedded", ""])
def test_embedded_is_the_default(monkeypatch, value):
    monkeypatch.setenv("ESCROW_ENV", value)
    assert load_settings().env == "embedded"


def test_production_starts_only_with_its_settings(monkeypatch):
    monkeypatch.setenv("ESCROW_ENV", "production")
    with pytest.raises(SystemExit, match="ESCROW_SECRET_KEY"):
        load_settings()


def test_the_server_process_exits_on_an_unknown_name():
    value = "Production"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ESCROW_")}, "ESCROW_ENV": value}
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"ESCROW_ENV must be one of embedded, production, not {value!r}" in done.stderr
    assert "Kafka bootstrap" not in done.stderr  # nothing was built
