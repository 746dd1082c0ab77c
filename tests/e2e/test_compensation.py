"""Issue 3: retries with back-off, compensation in reverse order, incidents."""
import pytest

from tests.e2e.harness import order_body, step

# (step, handler) in saga order; the compensable ones have a bank side effect to undo.
SAGA = [("compliance_check", "compliance.check_depositor"), ("find_client", "clients.find_by_document"),
        ("create_client", "clients.create_depositor"), ("reserve_account", "escrow.reserve_account"),
        ("bind_account", "escrow.bind_to_developer"),
        ("create_depositor_order", "orders.create_depositor_order"), ("send_code", "signing.send_code")]
COMPENSABLE = {"create_client", "reserve_account", "bind_account", "create_depositor_order", "send_code"}


def compensated_in_order(order: dict) -> list[str]:
    return [h["detail"]["step"] for h in order["history"] if h["action"] == "step.compensated"]


@pytest.mark.parametrize("failing", range(len(SAGA)), ids=[s for s, _ in SAGA])
def test_a_step_that_keeps_failing_rolls_back_what_was_done(api, bank, failing):
    name, handler = SAGA[failing]
    bank.set_fault(handler, -1)
    order_id = api.create(body=order_body(passport=("4602", f"{100000 + failing}")))
    order = api.wait_status(order_id, "ROLLED_BACK")
    bank.reset()
    # A step that timed out for good may have taken effect (a timeout after the effect): if it
    # has something to undo, it is compensated too, first.
    possibly_done = [name] if name in COMPENSABLE else []
    assert step(order, name)["state"] == "failed"
    assert step(order, name)["attempts"] == 3
    done_before = [s for s, _ in SAGA[:failing] if s in COMPENSABLE]
    assert compensated_in_order(order) == possibly_done + done_before[::-1]  # newest first, each once
    for entry in order["steps"]:
        expected = "compensated" if entry["name"] in done_before else None
        if expected:
            assert entry["state"] == expected, entry
    assert bank.snapshot_for_order(order_id)["holds_nothing"]


def test_transient_failures_are_retried_and_the_effect_happens_once(api, bank):
    bank.set_fault("escrow.reserve_account", 2)
    order_id = api.create(body=order_body(passport=("4602", "200001")))
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    reserve = step(order, "reserve_account")
    assert reserve["state"] == "completed" and reserve["attempts"] == 3
    assert [h["detail"]["attempt"] for h in order["history"] if h["action"] == "step.attempt_failed"] == [1, 2]
    snapshot = bank.snapshot_for_order(order_id)
    assert snapshot["effects"]["escrow.reserve_account"] == 1
    assert snapshot["active"]["reservations"] == 1


def test_compliance_refusal_is_a_business_outcome_not_a_failure(api, bank):
    body = order_body(passport=("4602", "300001"))
    body["depositor"]["last_name"] = "Blocked"
    order = api.wait_status(api.create(body=body), "REJECTED")
    assert step(order, "compliance_check")["attempts"] == 1        # no retries for a refusal
    assert compensated_in_order(order) == []


def test_a_compensation_that_keeps_failing_opens_an_incident_an_operator_can_retry(api, bank):
    bank.set_fault("escrow.bind_to_developer", -1)
    bank.set_fault("escrow.release_account", -1)
    order_id = api.create(body=order_body(passport=("4602", "400001")))
    order = api.wait_status(order_id, "INCIDENT")
    assert step(order, "reserve_account")["state"] == "compensation_failed"
    incidents = api.get("/api/v1/incidents", who="admin", status="open").get_json()
    incident = next(i for i in incidents if i["order_id"] == order_id)
    # The model gives rollbacks more patience than forward steps: retry.max_attempts = 5.
    assert incident["step"] == "reserve_account" and incident["attempts"] == 5
    assert step(order, "reserve_account")["compensation"]["attempts"] == 5
    assert {"id", "order_id", "step", "error", "attempts", "status", "created_at"} <= set(incident)
    assert api.get("/api/v1/incidents", who="m1").status_code == 403

    bank.reset()
    assert api.post(f"/api/v1/incidents/{incident['id']}/retry", who="admin").status_code == 202
    order = api.wait_status(order_id, "ROLLED_BACK")
    # bind_account timed out for good: possibly done, so it is undone first (nothing to undo)
    assert compensated_in_order(order) == ["bind_account", "reserve_account", "create_client"]
    assert bank.snapshot_for_order(order_id)["holds_nothing"]
    closed = [i for i in api.get("/api/v1/incidents", who="admin").get_json() if i["id"] == incident["id"]]
    assert closed[0]["status"] == "retried" and closed[0]["closed_by"] == "u-admin"
    assert api.post(f"/api/v1/incidents/{incident['id']}/retry", who="admin").status_code == 409


def test_an_operator_can_resolve_an_incident_by_hand_with_a_reason(api, bank):
    bank.set_fault("orders.create_depositor_order", -1)
    bank.set_fault("escrow.unbind_from_developer", -1)
    order_id = api.create(body=order_body(passport=("4602", "500001")))
    api.wait_status(order_id, "INCIDENT")
    incident = next(i for i in api.get("/api/v1/incidents", who="admin", status="open").get_json()
                    if i["order_id"] == order_id)
    assert api.post(f"/api/v1/incidents/{incident['id']}/resolve", who="admin", json={}).status_code == 422
    response = api.post(f"/api/v1/incidents/{incident['id']}/resolve", who="admin",
                        json={"reason": "unbound by hand in the core, ticket OPS-1"})
    assert response.status_code == 202
    order = api.wait_status(order_id, "ROLLED_BACK")
    bank.reset()
    assert compensated_in_order(order) == ["create_depositor_order", "bind_account", "reserve_account",
                                           "create_client"]
    resolved = [h for h in order["history"] if h["action"] == "incident.resolved"]
    assert resolved and resolved[0]["detail"]["reason"] == "unbound by hand in the core, ticket OPS-1"


def test_an_unexpected_error_is_a_dead_letter_and_an_incident_an_operator_can_retry(api, bank, system):
    handlers = system.process_manager.handlers
    original = handlers["escrow.bind_to_developer"]

    def broken(call):
        raise KeyError("a bug, not a bank failure")
    handlers["escrow.bind_to_developer"] = broken
    try:
        order_id = api.create(body=order_body(passport=("4602", "600001")))
        order = api.wait_status(order_id, "INCIDENT")
    finally:
        handlers["escrow.bind_to_developer"] = original
    incident = next(i for i in api.get("/api/v1/incidents", who="admin", status="open").get_json()
                    if i["order_id"] == order_id)
    assert incident["step"] == "command order.start" and "KeyError" in incident["error"]
    assert step(order, "reserve_account")["state"] == "completed"    # saved work is kept
    assert api.post(f"/api/v1/incidents/{incident['id']}/retry", who="admin").status_code == 202
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    assert bank.snapshot_for_order(order_id)["effects"]["escrow.reserve_account"] == 1


def test_a_compensation_refused_by_the_bank_is_an_incident_too(api, bank, system):
    from handlers.base import BusinessError
    handlers = system.process_manager.handlers
    original = handlers["escrow.release_account"]

    def refused(call):
        raise BusinessError("account_frozen", "the core refuses to release a frozen account")
    handlers["escrow.release_account"] = refused
    bank.set_fault("escrow.bind_to_developer", -1)
    try:
        order_id = api.create(body=order_body(passport=("4602", "700001")))
        order = api.wait_status(order_id, "INCIDENT")
    finally:
        handlers["escrow.release_account"] = original
        bank.reset()
    assert step(order, "reserve_account")["state"] == "compensation_failed"
    incident = next(i for i in api.get("/api/v1/incidents", who="admin", status="open").get_json()
                    if i["order_id"] == order_id)
    assert incident["attempts"] == 1 and "account_frozen" in incident["error"]   # no retries
    assert api.post(f"/api/v1/incidents/{incident['id']}/retry", who="admin").status_code == 202
    api.wait_status(order_id, "ROLLED_BACK")
    assert bank.snapshot_for_order(order_id)["holds_nothing"]
