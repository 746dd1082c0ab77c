"""One running system for the API contract tests (the same wiring as tests/e2e)."""
import pytest

from app.api.factory import create_app
from app.bootstrap import build
from tests.e2e.conftest import FAST
from tests.e2e.harness import Api, order_body


@pytest.fixture(scope="package")
def system():
    system = build(**{**FAST, "code_resend_s": 0})
    system.start_background()
    yield system
    system.stop()


@pytest.fixture(scope="package")
def app(system):
    return create_app(system)


@pytest.fixture
def api(app, system):
    yield Api(app.test_client())
    system.bank.reset()  # clear injected faults


@pytest.fixture(scope="package")
def document(app):
    return app.test_client().get("/api/openapi.json").get_json()


def operations(document) -> list[tuple[str, str]]:
    """(METHOD, path template) of every operation the OpenAPI document describes."""
    return [(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method in ("get", "post", "put", "patch", "delete")]


PROJECT_OF = {"m1": "p-dev1-sunrise", "m2": "p-dev2-riverside"}


def order_for(who: str, **overrides) -> dict:
    """A valid create body for a manager's own company's project."""
    return order_body(project_id=PROJECT_OF[who], **overrides)


def pytest_terminal_summary(terminalreporter):
    from tests.api.figures import FIGURES
    for name, figures in FIGURES.items():
        terminalreporter.write_line(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
