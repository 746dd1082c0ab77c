"""Issue 9: a stored order stays small however many retries and history entries it has."""
import time

import bson
import mongoengine

from tests.e2e.harness import eventually, order_body, step

LIMIT = 16 * 1024


def stored_size(order_id: str) -> tuple[int, int]:
    doc = mongoengine.get_db()["orders"].find_one({"_id": order_id})
    return len(bson.encode(doc)), len(doc["history"])


def test_retries_and_history_do_not_grow_the_order_past_its_cap(api, bank, system):
    for handler in ("escrow.reserve_account", "escrow.bind_to_developer", "orders.create_depositor_order"):
        bank.set_fault(handler, 2)
    order_id = api.create(body=order_body(passport=("4605", "100001")))
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    assert step(order, "bind_account")["attempts"] == 3
    for resend in range(3):  # wrong codes (history written by the API) and new codes (loops)
        for _ in range(3):
            api.post(f"/api/v1/orders/{order_id}/signature", json={"code": "000000"})
        if resend < 2:
            time.sleep(1.05)  # the resend interval is one second in these tests
            assert api.post(f"/api/v1/orders/{order_id}/signature/code").status_code == 202
            eventually(lambda: step(api.order(order_id), "send_code")["attempts"] == 1
                       and len(api.get("/api/v1/dev/sms", order_id=order_id).get_json()) == resend + 2)
    for _ in range(10):
        api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "x" * 400})  # first one wins
    order = api.wait_status(order_id, "CANCELLED")
    size, inline = stored_size(order_id)
    assert size < LIMIT, _breakdown(order_id)
    print("stored order after retries, resends and a cancel:", size, "bytes")
    assert inline <= system.settings.history_inline_cap
    assert len(order["history"]) > system.settings.history_inline_cap   # nothing lost: paged out
    actions = [h["action"] for h in order["history"]]
    assert actions[0] == "order.created" and actions.count("step.attempt_failed") == 6
    assert actions.count("signature.rejected") == 9


def _breakdown(order_id):
    doc = mongoengine.get_db()["orders"].find_one({"_id": order_id})
    return sorted(((len(bson.encode({k: v})), k) for k, v in doc.items()), reverse=True)
