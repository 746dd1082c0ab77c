"""Each bank handler against the simulator."""
import pytest

from handlers import registry
from handlers.base import BusinessError, TransientError
from tests.unit.unit_data import DEPOSITOR, make_order

H = registry.load_all()


def run(call_factory, name, order, key=None, **kw):
    outcome = H[name](call_factory(order, key=key or name, **kw))
    order["results"].update(outcome.results)
    return outcome


def forward(call_factory, order):
    for name in ("compliance.check_depositor", "clients.find_by_document",
                 "clients.create_depositor", "escrow.reserve_account",
                 "escrow.bind_to_developer", "orders.create_depositor_order"):
        run(call_factory, name, order)


def test_happy_path_creates_each_thing_once(bank, call_factory):
    order = make_order()
    forward(call_factory, order)
    r = order["results"]
    assert r["compliance_verdict"] == "clear" and r["client_created"] is True
    assert {"client_id", "escrow_account", "binding_id", "depositor_order_id"} <= set(r)
    forward(call_factory, order)  # redelivery of every step: same keys, no new effects
    snap = bank.snapshot_for_order(order["id"])
    assert snap["active"] == {"clients": 1, "reservations": 1, "bindings": 1,
                              "depositor_orders": 1}
    assert set(snap["effects"].values()) == {1}


def test_compliance_refused(call_factory):
    order = make_order(depositor={**DEPOSITOR, "last_name": "Blocked"})
    with pytest.raises(BusinessError) as e:
        run(call_factory, "compliance.check_depositor", order)
    assert e.value.code == "compliance_refused"


@pytest.mark.parametrize("series,number,match", [
    ("4512", "778899", "none"), ("4510", "123456", "one"), ("4510", "654321", "many")])
def test_find_by_document(call_factory, series, number, match):
    order = make_order(depositor={**DEPOSITOR, "passport": {"series": series, "number": number}})
    out = run(call_factory, "clients.find_by_document", order)
    assert out.variables == {"client_match": match}
    if match == "one":
        assert out.results == {"client_id": "C00000001", "client_created": False}
    if match == "many":
        cands = out.results["candidates"]
        assert [c["client_id"] for c in cands] == ["C00000002", "C00000003"]
        assert set(cands[0]) == {"client_id", "last_name", "first_name", "middle_name",
                                 "birth_date", "passport"}


def test_create_depositor_already_exists_is_success(bank, call_factory):
    order = make_order()
    first = bank.create_client(DEPOSITOR, idempotency_key="elsewhere")
    out = run(call_factory, "clients.create_depositor", order)
    assert out.results == {"client_id": first, "client_created": False}
    assert bank.effects() == {"clients.create_depositor": 1}
    # compensation must not deactivate a client this order did not create
    assert run(call_factory, "clients.deactivate_depositor", order).results == {}
    assert bank.get_client(first)["status"] == "active"


def test_whether_the_order_created_its_client_is_the_banks_answer(bank, call_factory):
    """A run that died after creating the client, before recording it: the lookup does not count
    that client as found, the create step gets it back as created, the undo deactivates it."""
    order = make_order()
    run(call_factory, "clients.create_depositor", order)
    order["results"].clear()                                   # the record was lost
    assert run(call_factory, "clients.find_by_document", order).variables == {"client_match": "none"}
    assert run(call_factory, "clients.create_depositor", order).results["client_created"] is True
    order["results"].clear()                                   # lost again, before the undo
    assert run(call_factory, "clients.deactivate_depositor", order, key="undo").results == {
        "client_deactivated": True}
    assert bank.effects(order["id"]) == {"clients.create_depositor": 1, "clients.deactivate_depositor": 1}


def test_undoing_a_client_another_order_uses_keeps_it(bank, call_factory):
    order = make_order()
    run(call_factory, "clients.create_depositor", order)
    bank.reserve_escrow_account("another-order", order["results"]["client_id"], 100_00, "2029-01-01",
                                idempotency_key="theirs")
    assert run(call_factory, "clients.deactivate_depositor", order, key="undo").results == {
        "client_kept": "in use by another order"}
    assert bank.get_client(order["results"]["client_id"])["status"] == "active"


def test_reserve_and_bind_already_exist_are_success(bank, call_factory):
    order = make_order()
    forward(call_factory, order)
    r = dict(order["results"])
    for name, field in (("escrow.reserve_account", "escrow_account"),
                        ("escrow.bind_to_developer", "binding_id"),
                        ("orders.create_depositor_order", "depositor_order_id")):
        out = run(call_factory, name, order, key="a-different-key")
        assert out.results[field] == r[field]
    assert set(bank.effects(order["id"]).values()) == {1}


def test_transient_and_refusal_mapping(bank, call_factory):
    order = make_order()
    run(call_factory, "clients.create_depositor", order)
    bank.set_fault("escrow.reserve_account", 1)
    with pytest.raises(TransientError):
        run(call_factory, "escrow.reserve_account", order)
    run(call_factory, "escrow.reserve_account", order)
    bank.set_project_closed(order["project"]["id"])
    with pytest.raises(BusinessError) as e:
        run(call_factory, "escrow.bind_to_developer", order)
    assert e.value.code == "project_closed"


def test_missing_prerequisite(call_factory):
    with pytest.raises(BusinessError) as e:
        run(call_factory, "escrow.reserve_account", make_order())
    assert e.value.code == "precondition_failed"


def test_compensation_undoes_everything(bank, call_factory):
    order = make_order()
    forward(call_factory, order)
    for name in ("orders.cancel_depositor_order", "escrow.unbind_from_developer",
                 "escrow.release_account", "clients.deactivate_depositor"):
        run(call_factory, name, order, key="comp-" + name)
        run(call_factory, name, order, key="comp2-" + name)  # again: nothing left to undo
    assert bank.snapshot_for_order(order["id"])["holds_nothing"]


def test_compensation_without_results_asks_the_bank(bank, call_factory):
    order = make_order()
    forward(call_factory, order)
    bare = make_order()  # results never recorded (e.g. a crash before the save)
    for name in ("orders.cancel_depositor_order", "escrow.unbind_from_developer",
                 "escrow.release_account"):
        run(call_factory, name, bare, key="comp-" + name)
    active = bank.snapshot_for_order(order["id"])["active"]
    assert active == {"clients": 1, "reservations": 0, "bindings": 0, "depositor_orders": 0}


def test_compensation_with_nothing_done_is_noop(bank, call_factory):
    order = make_order()
    for name in ("orders.cancel_depositor_order", "escrow.unbind_from_developer",
                 "escrow.release_account", "clients.deactivate_depositor"):
        assert run(call_factory, name, order).results == {}
    assert bank.effects() == {}


def test_compensation_transient(bank, call_factory):
    order = make_order()
    forward(call_factory, order)
    bank.set_fault("escrow.release_account", 1)
    with pytest.raises(TransientError):
        run(call_factory, "escrow.release_account", order)
    run(call_factory, "escrow.release_account", order)
    assert bank.snapshot_for_order(order["id"])["active"]["reservations"] == 0


def test_merge_records(bank, call_factory):
    order = make_order(depositor={**DEPOSITOR, "passport": {"series": "4510", "number": "654321"}})
    run(call_factory, "clients.find_by_document", order)
    out = run(call_factory, "clients.merge_records", order, params={"survivor": "C00000003"})
    assert out.results["client_id"] == "C00000003" and out.variables == {"client_match": "one"}
    assert out.results["merged_client_ids"] == ["C00000002"]
    again = run(call_factory, "clients.find_by_document", order)
    assert again.results["client_id"] == "C00000003"


def test_merge_needs_two(call_factory):
    with pytest.raises(BusinessError):
        run(call_factory, "clients.merge_records", make_order())


def test_backoffice_escalate_changes_nothing(bank, call_factory):
    out = run(call_factory, "backoffice.escalate", make_order())
    assert out.results == {"backoffice_escalated_at": "2026-11-25T10:00:00Z"}
    assert bank.effects() == {}


def test_every_model_handler_is_registered():
    import re
    from pathlib import Path
    names = set()
    for path in (Path(__file__).resolve().parents[2] / "bpmn").glob("*.bpmn"):
        names |= set(re.findall(r'serviceTaskOperator id="([^"]+)"', path.read_text()))
    assert names <= set(H)
