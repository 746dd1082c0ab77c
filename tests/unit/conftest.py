"""Fixtures for the unit tests of adapters, handlers, validation and signing."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.adapters.bank.simulated import SimulatedBank  # noqa: E402
from handlers.base import Services, StepCall  # noqa: E402

from tests.unit.unit_data import NOW, DEPOSITOR, make_order  # noqa: E402,F401


@pytest.fixture
def bank():
    return SimulatedBank(clock=lambda: NOW)


@pytest.fixture
def call_factory(bank):
    def make(order, key="k1", params=None, signing=None, sms=None, attempt=1, now=NOW):
        return StepCall(order_id=order["id"], order=order, params=params or {},
                        idempotency_key=key, attempt=attempt,
                        services=Services(bank=bank, sms=sms, signing=signing),
                        settings=None, now=now)
    return make


@pytest.fixture
def mongo():
    """An empty mongomock database as mongoengine's default connection."""
    import mongoengine
    import mongomock
    mongoengine.disconnect(alias="default")
    mongoengine.connect("test", host="mongodb://localhost", alias="default",
                        mongo_client_class=mongomock.MongoClient)
    yield mongoengine.get_db()
    mongoengine.disconnect(alias="default")


@pytest.fixture
def outbox():
    from app.adapters.sms.outbox import DevOutbox
    return DevOutbox(clock=lambda: NOW)


@pytest.fixture
def signing(mongo, outbox):
    from app.signing import SigningService, SigningSettings
    return SigningService(outbox, SigningSettings(hash_iterations=1000))
