"""Fixtures of the security tests: one running system (as tests/e2e) for the escapes run
through the API; the unit tests of the sandbox need none."""
import pytest

from app.api.factory import create_app
from app.bootstrap import build
from tests.e2e.conftest import FAST
from tests.e2e.harness import Api


@pytest.fixture(scope="package")
def system():
    system = build(**FAST)
    system.start_background()
    yield system
    system.stop()


@pytest.fixture
def api(system):
    return Api(create_app(system).test_client())
