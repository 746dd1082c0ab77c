"""Debian's Chromium driven by Playwright, for the browser tests (never `playwright install`:
its browser download fails on these machines). The set-up installs Chromium when it is missing
and fails loudly when it cannot."""
import os
import shutil
import subprocess

import pytest

CHROMIUM = "/usr/bin/chromium"
# Playwright adds --headless and a fresh profile directory of its own.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


def ensure_chromium() -> str:
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env,
                       stdout=subprocess.DEVNULL)
    if not os.path.exists(CHROMIUM):
        pytest.fail("BROWSER TESTS CANNOT RUN: Debian's chromium is not installed and could not be "
                    "installed (run `apt-get install -y chromium` as root)", pytrace=False)
    return CHROMIUM


def launch(playwright):
    return playwright.chromium.launch(executable_path=ensure_chromium(), headless=True, args=ARGS)
