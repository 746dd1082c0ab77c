"""The whole system served over HTTP on a free port, and a real browser driving its pages.

Every page a test visits is photographed into var/screenshots/<test>/ (kept as artefacts), and
the browser console of every page is checked: an error there fails the test.
"""
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.api.factory import create_app
from tests.e2e.conftest import system  # noqa: F401  (a running system per test package)
from tests.web.browser import launch

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="package")
def base_url(system):
    server = make_server("127.0.0.1", 0, create_app(system), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


class Pages:
    """One browser context (a person at a browser) with screenshots and console checks."""

    def __init__(self, browser, base_url: str, shots: Path, width=1280, height=800):
        self.base_url = base_url
        self.context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height},
                                           locale="en-US")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"{self.page.url}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.page.url}: {e}"))
        self.shots = shots
        self.count = 0

    def shot(self, name: str) -> Path:
        self.count += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def goto(self, path: str, name: str | None = None):
        self.page.goto(path)
        self.shot(name or path)
        return self.page

    def refused(self, path: str, status: int = 403):
        """Open a page this person may not see: the answer is `status`, and the console error
        Chromium logs for a 4xx document is the one expected (any other still fails the test)."""
        response = self.page.goto(path)
        assert response.status == status, f"{path}: {response.status}"
        self.shot(f"refused {path}")
        url = self.page.url
        expected = [e for e in self.errors if e.startswith(f"{url}: ") and f"status of {status}" in e]
        assert expected, f"no console error for the {status} of {path}: {self.errors}"
        self.errors[:] = [e for e in self.errors if e not in expected]
        return self.page

    def sign_in(self, username: str, password: str = "demo", next: str | None = None):
        page = self.page
        page.goto(f"/login?next={next}" if next else "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        self.shot(f"signed in as {username}")
        return page

    def close(self):
        self.context.close()


@pytest.fixture
def pages(browser, base_url, request):
    """pages() opens a new browser context; every one is checked for console errors at the end."""
    opened = []

    def open_(width=1280, height=800):
        shots = SHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        p = Pages(browser, base_url, shots / f"ctx{len(opened) + 1}", width, height)
        opened.append(p)
        return p
    yield open_
    errors = [e for p in opened for e in p.errors]
    for p in opened:
        p.close()
    assert not errors, "browser console errors:\n" + "\n".join(errors)
