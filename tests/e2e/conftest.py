"""One running system (embedded Kafka, mongomock, worker threads) for the end-to-end tests."""
import pytest

from app.api.factory import create_app
from app.bootstrap import build
from tests.e2e.harness import Api

FAST = dict(retry_base_s=0.02, retry_max_s=0.2, scheduler_interval_s=0.02, relay_interval_s=0.01,
            code_resend_s=1, sign_wait_s=5.0)


@pytest.fixture(scope="package")
def system():
    system = build(**FAST)
    system.start_background()
    yield system
    system.stop()


@pytest.fixture
def api(system):
    yield Api(create_app(system).test_client())
    system.bank.reset()  # clear injected faults


@pytest.fixture
def bank(system):
    return system.bank
