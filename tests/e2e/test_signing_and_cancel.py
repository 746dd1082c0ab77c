"""Issue 4: signing by SMS code, cancelling at every stage, the code never leaking."""
import dataclasses
import json
import logging
import re
import time

import mongoengine
import pytest

from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, eventually, order_body

CODE = re.compile(r"\b(\d{6})\b")


def sms_codes(api, order_id) -> list[str]:
    messages = api.get("/api/v1/dev/sms", order_id=order_id).get_json()
    return [CODE.search(m["text"]).group(1) for m in messages]  # newest first


def awaiting(api, passport) -> str:
    order_id = api.create(body=order_body(passport=passport))
    api.wait_status(order_id, "AWAITING_SIGNATURE")
    return order_id


def sign(api, order_id, code, who="m1"):
    return api.post(f"/api/v1/orders/{order_id}/signature", who=who, json={"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def short_code_life(system):
    """Codes live one second (the BPMN timer and the signing service alike)."""
    pm_settings, signing_settings = system.process_manager.settings, system.signing.settings
    system.process_manager.settings = pm_settings.with_overrides(code_ttl_s=1)
    system.signing.settings = dataclasses.replace(signing_settings, ttl_s=1)
    yield
    system.process_manager.settings, system.signing.settings = pm_settings, signing_settings


def test_the_right_code_signs_the_order(api, bank):
    order_id = awaiting(api, ("4603", "100001"))
    [code] = sms_codes(api, order_id)
    response = sign(api, order_id, code)
    assert response.status_code == 200
    order = api.wait_status(order_id, "SIGNED")
    signed = [h for h in order["history"] if h["action"] == "signature.confirmed"]
    assert signed and signed[0]["detail"]["phone"] == "+79161234567"
    assert len(signed[0]["detail"]["document_hash"]) == 64          # which data was signed
    assert bank.snapshot_for_order(order_id)["active"]["reservations"] == 1
    assert sign(api, order_id, code).status_code == 409               # no longer awaiting


def test_three_wrong_codes_kill_the_code_until_a_new_one_is_sent(api):
    order_id = awaiting(api, ("4603", "100002"))
    [code] = sms_codes(api, order_id)
    for left in (2, 1, 0):
        response = sign(api, order_id, wrong(code))
        assert response.status_code == 422
        assert response.get_json()["attempts_left"] == left
        assert "code" in response.get_json()["errors"]["json"]
    dead = sign(api, order_id, code)
    assert dead.status_code == 422 and dead.get_json()["reason"] == "no_attempts_left"
    time.sleep(1.1)  # the resend interval is one second in these tests
    assert api.post(f"/api/v1/orders/{order_id}/signature/code").status_code == 202
    new_code = eventually(lambda: len(sms_codes(api, order_id)) == 2 and sms_codes(api, order_id)[0])
    assert sign(api, order_id, new_code).status_code == 200
    api.wait_status(order_id, "SIGNED")


def test_a_new_code_is_throttled(api):
    order_id = awaiting(api, ("4603", "100003"))
    response = api.post(f"/api/v1/orders/{order_id}/signature/code")
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_an_expired_code_is_refused(api, short_code_life):
    order_id = awaiting(api, ("4603", "100004"))
    [code] = sms_codes(api, order_id)
    time.sleep(1.2)
    response = sign(api, order_id, code)
    assert response.status_code == 422 and response.get_json()["reason"] == "expired"
    # The model's timer expires the code too, and the order waits for a new one.
    eventually(lambda: any(s["name"] == "expire_code" and s["state"] == "completed"
                           for s in api.order(order_id)["steps"]))
    assert api.order(order_id)["status"] == "AWAITING_SIGNATURE"


def test_bad_code_bodies_are_422(api):
    order_id = awaiting(api, ("4603", "100005"))
    for body in ({}, {"code": "12345"}, {"code": "abcdef"}, {"code": 123456}):
        assert api.post(f"/api/v1/orders/{order_id}/signature", json=body).status_code == 422


def test_cancel_while_awaiting_signature_releases_everything(api, bank):
    order_id = awaiting(api, ("4603", "200001"))
    assert api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "buyer changed mind"}).status_code == 202
    order = api.wait_status(order_id, "CANCELLED")
    assert bank.snapshot_for_order(order_id)["holds_nothing"]
    assert any(h["action"] == "order.cancel_requested" and h["detail"]["reason"] == "buyer changed mind"
               for h in order["history"])
    [code] = sms_codes(api, order_id)
    assert sign(api, order_id, code).status_code == 409
    assert api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "again"}).status_code == 409


def test_cancel_in_back_office_review(api, bank):
    order_id = api.create(body=order_body(passport=DUPLICATE_CLIENT_PASSPORT))
    api.wait_status(order_id, "BACKOFFICE_REVIEW")
    assert api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "duplicate order"}).status_code == 202
    api.wait_status(order_id, "CANCELLED")
    assert bank.snapshot_for_order(order_id)["holds_nothing"]
    tasks = api.get("/api/v1/tasks", who="bo", page_size=100).get_json()
    assert order_id not in {t["order_id"] for t in tasks}


def test_cancel_while_a_step_is_running_and_twice(api, bank):
    bank.set_fault("escrow.bind_to_developer", 0, latency_ms=400)
    order_id = api.create(body=order_body(passport=("4603", "200002")))
    deadline = time.monotonic() + 15
    while "escrow.reserve_account" not in bank.effects(order_id) and time.monotonic() < deadline:
        time.sleep(0.01)
    first = api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "first"})
    second = api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "double click"})
    assert first.status_code == 202 and second.status_code in (202, 409)
    order = api.wait_status(order_id, "CANCELLED")
    bank.reset()
    effects = bank.snapshot_for_order(order_id)["effects"]
    assert effects.get("escrow.release_account") == 1
    assert effects.get("clients.deactivate_depositor") == 1
    assert effects.get("escrow.unbind_from_developer", 0) == effects.get("escrow.bind_to_developer", 0)
    assert bank.snapshot_for_order(order_id)["holds_nothing"]
    assert sum(h["action"] == "order.cancel_requested" and h["actor"] != "process"
               for h in order["history"]) >= 1
    steps = [h["detail"]["step"] for h in order["history"] if h["action"] == "step.compensated"]
    assert len(steps) == len(set(steps))                               # each compensation once


def test_the_code_never_leaks(api, system, caplog):
    caplog.set_level(logging.DEBUG)
    order_id = awaiting(api, ("4603", "300001"))
    [code] = sms_codes(api, order_id)
    sign(api, order_id, wrong(code))
    assert sign(api, order_id, code).status_code == 200
    order = api.wait_status(order_id, "SIGNED")
    assert code not in json.dumps(order)
    assert code not in caplog.text
    db = mongoengine.get_db()
    for name in db.list_collection_names():
        for doc in db[name].find():
            assert code not in json.dumps(doc, default=str), f"code found in {name}"
