from datetime import timedelta

import pytest

from app.adapters.faults import FaultInjector
from app.adapters.sms.outbox import DevOutbox
from app.signing import SigningService, SigningSettings, document_hash
from handlers import registry
from handlers.base import TransientError
from tests.unit.unit_data import NOW, make_order

H = registry.load_all()


def test_send_code_once_per_key(signing, outbox, call_factory):
    order = make_order()
    out = H["signing.send_code"](call_factory(order, key="s1", signing=signing))
    assert out.results == {"signing_sent_at": "2026-11-25T10:00:00Z",
                           "signing_expires_at": "2026-11-25T10:05:00Z",
                           "document_hash": document_hash(order["data"])}
    H["signing.send_code"](call_factory(order, key="s1", signing=signing))  # redelivery
    assert len(outbox.list(order["id"])) == 1
    assert outbox.list()[0]["phone"] == order["data"]["depositor"]["phone"]


def test_send_code_transient_sms_failure(mongo, call_factory):
    faults = FaultInjector()
    box = DevOutbox(faults=faults)
    signing = SigningService(box, SigningSettings(hash_iterations=1000))
    faults.set("signing.send_code", 1)
    with pytest.raises(TransientError):
        H["signing.send_code"](call_factory(make_order(), key="s1", signing=signing))
    H["signing.send_code"](call_factory(make_order(), key="s1", signing=signing))
    assert len(box.list()) == 1


def test_expire_and_revoke(signing, outbox, call_factory):
    order = make_order()
    assert H["signing.revoke_code"](call_factory(order, signing=signing)).results == {}
    H["signing.send_code"](call_factory(order, key="s1", signing=signing))
    later = NOW + timedelta(seconds=300)
    out = H["signing.expire_code"](call_factory(order, key="t1", signing=signing, now=later))
    assert out.results == {"signing_expired_at": "2026-11-25T10:05:00Z"}
    assert signing.state(order["id"], later)["status"] == "expired"
    assert H["signing.expire_code"](call_factory(order, key="t1", signing=signing, now=later)).results == \
        out.results  # repeated after a crash: the same answer
    assert H["signing.revoke_code"](call_factory(order, signing=signing)).results == \
        {"signing_revoked": True}
    # a run that died after the call repeats it: the same answer (what was done, not "now")
    assert H["signing.revoke_code"](call_factory(order, signing=signing)).results == \
        {"signing_revoked": True}
    again = H["signing.expire_code"](call_factory(order, key="t1", signing=signing, now=later))
    assert again.results == {}  # revoked since: not expired by this step


def test_document_hash_is_canonical():
    assert document_hash({"b": 1, "a": [1, "é"]}) == document_hash({"a": [1, "é"], "b": 1})
    assert document_hash({"a": 1}) != document_hash({"a": 2})
