"""Issue 14, races and lifecycle: sign against cancel, repeated codes, a cancel while a step runs,
what an order shows while it is being undone, a client two companies' orders share."""
import threading
from concurrent.futures import ThreadPoolExecutor

from app.messaging import commands
from tests.reliability.cases import auth

ROUNDS = 20


def awaiting(runner, **kwargs) -> str:
    order_id = runner.create(**kwargs)
    runner.wait_status(order_id, "AWAITING_SIGNATURE")
    return order_id


def at_once(*calls):
    """Run the calls in threads released together; their results in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def history(runner, order_id, action) -> list[dict]:
    doc = runner.system.repo.get(order_id)
    return [h for h in runner.system.repo.full_history(doc) if h["action"] == action]


def queued(runner, order_id, command_type) -> int:
    doc = runner.system.repo.get(order_id)
    return sum(e.get("value", {}).get("type") == command_type for e in doc.get("outbox", []))


def test_sign_and_cancel_at_the_same_moment_exactly_one_wins(runner):
    orders = [awaiting(runner) for _ in range(ROUNDS)]
    winners = {}
    for order_id in orders:
        code = runner.code(order_id)
        sign, cancel = at_once(
            lambda: runner.client.post(f"/api/v1/orders/{order_id}/signature", json={"code": code},
                                       headers=auth("manager")),
            lambda: runner.client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "race"},
                                       headers=auth("manager")))
        assert sorted([sign.status_code, cancel.status_code]) in ([200, 409], [202, 409]), \
            (sign.get_json(), cancel.get_json())
        winners[order_id] = "SIGNED" if sign.status_code == 200 else "CANCELLED"
        loser = cancel if sign.status_code == 200 else sign
        assert "signed" in loser.get_json()["message"] or "cancel" in loser.get_json()["message"]
    for order_id, status in winners.items():
        doc = runner.wait_status(order_id, "SIGNED", "CANCELLED")
        assert doc["status"] == status
        assert len(history(runner, order_id, "signature.confirmed")) == (status == "SIGNED")
        assert len(history(runner, order_id, "order.cancel_requested")) == (status == "CANCELLED")
        holding = runner.system.bank.snapshot_for_order(order_id)["active"]
        assert any(holding.values()) == (status == "SIGNED"), holding
    won = list(winners.values())
    print(f"\nsign against cancel, {ROUNDS} rounds: signed {won.count('SIGNED')}, cancelled {won.count('CANCELLED')}")


def test_the_right_code_ten_times_at_once_signs_once(runner):
    order_id = awaiting(runner)
    code = runner.code(order_id)
    responses = at_once(*[lambda: runner.client.post(f"/api/v1/orders/{order_id}/signature",
                                                     json={"code": code}, headers=auth("manager"))
                          for _ in range(10)])
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9, [r.get_json() for r in responses]
    assert len(history(runner, order_id, "signature.confirmed")) == 1
    assert queued(runner, order_id, commands.SIGNATURE_CONFIRMED) == 1
    runner.wait_status(order_id, "SIGNED")


def test_no_step_starts_after_a_cancel_is_accepted(runner):
    """The cancel is accepted while the depositor order is being created: no code is sent."""
    order_id = None

    def cancel_while_running(component, boundary, info):
        if boundary == "after_handler" and info.get("step") == "create_depositor_order":
            runner.client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "now"},
                               headers=auth("manager"))
    order_id = runner.create()
    runner.plant.hooks[order_id] = cancel_while_running
    doc = runner.wait_status(order_id, "CANCELLED")
    assert runner.plant.sms.list(order_id=order_id) == []
    send_code = next(s for s in doc["steps"] if s["name"] == "send_code")
    assert (send_code["state"], send_code["attempts"]) == ("interrupted", 0)
    assert len(history(runner, order_id, "order.cancel_requested")) == 1
    assert runner.system.bank.snapshot_for_order(order_id)["holds_nothing"]


def test_an_order_being_undone_shows_cancelling_or_rolling_back(runner):
    cancelled = awaiting(runner)
    assert runner.client.post(f"/api/v1/orders/{cancelled}/cancel", json={"reason": "r"},
                              headers=auth("manager")).status_code == 202
    failed = runner.create()
    runner.plant.set_fault(failed, "orders.create_depositor_order", "transient")
    runner.wait_status(cancelled, "CANCELLED")
    runner.wait_status(failed, "ROLLED_BACK")
    for order_id, undoing, end in ((cancelled, "CANCELLING", "CANCELLED"), (failed, "ROLLING_BACK", "ROLLED_BACK")):
        changes = [h["detail"]["to"] for h in history(runner, order_id, "status")]
        assert changes[-2:] == [undoing, end], changes
    spec = runner.client.get("/api/openapi.json").get_json()
    order = spec["components"]["schemas"]["Order"]["properties"]["status"]["enum"]
    query = next(p for p in spec["paths"]["/api/v1/orders"]["get"]["parameters"] if p["name"] == "status")
    assert {"ROLLING_BACK", "CANCELLING"} <= set(order) and set(order) == set(query["schema"]["enum"])


def test_a_client_another_companys_order_uses_is_kept_when_its_creator_cancels(runner, plant):
    """Company 1 creates the buyer as a client; company 2's order for the same buyer reuses it;
    company 1 cancels: the client stays, company 2's order signs."""
    first = awaiting(runner)
    passport = tuple(runner.system.repo.get(first)["data"]["depositor"]["passport"][k] for k in ("series", "number"))
    client_id = runner.system.repo.get(first)["results"]["client_id"]
    second = awaiting(runner, match="none", who="manager-2", passport=passport, project="p-dev2-riverside")
    assert runner.system.repo.get(second)["results"] == {**runner.system.repo.get(second)["results"],
                                                        "client_id": client_id, "client_created": False}
    assert runner.client.post(f"/api/v1/orders/{first}/cancel", json={"reason": "r"},
                              headers=auth("manager")).status_code == 202
    doc = runner.wait_status(first, "CANCELLED")
    assert doc["results"].get("client_kept") == "in use by another order"
    assert runner.system.bank.get_client(client_id)["status"] == "active"
    assert runner.system.bank.snapshot_for_order(first)["holds_nothing"]
    sign = runner.client.post(f"/api/v1/orders/{second}/signature", json={"code": runner.code(second)},
                              headers=auth("manager-2"))
    assert sign.status_code == 200, sign.get_json()
    runner.wait_status(second, "SIGNED")
