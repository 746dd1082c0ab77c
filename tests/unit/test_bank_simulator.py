from datetime import timedelta

import pytest

from app.adapters.bank import seed
from app.adapters.bank.errors import AlreadyExists, BankRefusal, NotFound, TransientBankError
from app.adapters.bank.port import BankCore
from app.adapters.bank.simulated import SimulatedBank
from app.adapters.faults import FaultInjector
from app.domain import validation
from tests.unit.unit_data import DEPOSITOR, NOW

DEV = seed.PROJECTS[0]


def setup_order(bank, order_id="o1"):
    cid = bank.create_client(DEPOSITOR, idempotency_key=f"{order_id}-c", order_id=order_id)
    acc = bank.reserve_escrow_account(order_id, cid, 100_00, "2029-01-01",
                                      idempotency_key=f"{order_id}-r")
    bid = bank.bind_to_developer(acc, DEV["developer_account"], DEV["id"],
                                 idempotency_key=f"{order_id}-b")
    dep = bank.create_depositor_order(order_id, cid, acc, 100_00, {"number": "1"},
                                      idempotency_key=f"{order_id}-d")
    return cid, acc, bid, dep


def test_implements_port(bank):
    assert isinstance(bank, BankCore)


def test_seeds(bank):
    assert len(bank.find_clients_by_document("4510", "123456")) == 1
    dupes = bank.find_clients_by_document("4510", "654321")
    assert len(dupes) == 2 and dupes[0]["birth_date"] != dupes[1]["birth_date"]
    assert bank.find_clients_by_document("4512", "778899") == []
    for p in seed.PROJECTS:
        assert validation.bank_account(p["developer_account"], seed.BANK_BIK) is None


def test_same_key_returns_first_result_once(bank):
    a = bank.create_client(DEPOSITOR, idempotency_key="k", order_id="o1")
    b = bank.create_client(DEPOSITOR, idempotency_key="k", order_id="o1")
    assert a == b and bank.effects("o1") == {"clients.create_depositor": 1}


def test_other_key_already_exists(bank):
    cid, acc, bid, dep = setup_order(bank)
    with pytest.raises(AlreadyExists) as e:
        bank.create_client(DEPOSITOR, idempotency_key="other")
    assert e.value.existing_id == cid
    with pytest.raises(AlreadyExists) as e:
        bank.reserve_escrow_account("o1", cid, 1, "2029-01-01", idempotency_key="other")
    assert e.value.existing_id == acc
    with pytest.raises(AlreadyExists) as e:
        bank.bind_to_developer(acc, DEV["developer_account"], DEV["id"], idempotency_key="x")
    assert e.value.existing_id == bid
    with pytest.raises(AlreadyExists) as e:
        bank.create_depositor_order("o1", cid, acc, 1, {}, idempotency_key="other")
    assert e.value.existing_id == dep
    with pytest.raises(AlreadyExists) as e:
        bank.create_client({**DEPOSITOR, "passport": {"series": "4510", "number": "123456"}},
                           idempotency_key="z")
    assert e.value.existing_id == "C00000001"


def test_escrow_account_is_valid_20_digits(bank):
    _, acc, _, _ = setup_order(bank)
    assert validation.bank_account(acc, seed.BANK_BIK) is None


def test_snapshot_and_rollback(bank):
    cid, acc, bid, dep = setup_order(bank)
    snap = bank.snapshot_for_order("o1")
    assert snap["active"] == {"clients": 1, "reservations": 1, "bindings": 1,
                              "depositor_orders": 1}
    assert not snap["holds_nothing"]
    bank.cancel_depositor_order(dep, idempotency_key="u1")
    bank.unbind(bid, idempotency_key="u2")
    bank.release_escrow_account(acc, idempotency_key="u3")
    bank.deactivate_client(cid, idempotency_key="u4")
    bank.release_escrow_account(acc, idempotency_key="u5")  # nothing to do: no effect
    snap = bank.snapshot_for_order("o1")
    assert snap["holds_nothing"]
    assert snap["effects"] == {op: 1 for op in (
        "clients.create_depositor", "escrow.reserve_account", "escrow.bind_to_developer",
        "orders.create_depositor_order", "orders.cancel_depositor_order",
        "escrow.unbind_from_developer", "escrow.release_account",
        "clients.deactivate_depositor")}
    assert bank.snapshot_for_order("other")["holds_nothing"]


def test_fault_next_n_then_success_with_same_key(bank):
    bank.set_fault("clients.create_depositor", 2)
    assert bank.faults()["clients.create_depositor"]["fail_times"] == 2
    for _ in range(2):
        with pytest.raises(TransientBankError):
            bank.create_client(DEPOSITOR, idempotency_key="k", order_id="o1")
    assert bank.create_client(DEPOSITOR, idempotency_key="k", order_id="o1")
    assert bank.faults() == {}
    assert bank.effects("o1") == {"clients.create_depositor": 1}


def test_fault_always_and_clear(bank):
    bank.set_fault("compliance.check_depositor", -1, latency_ms=1)
    for _ in range(3):
        with pytest.raises(TransientBankError, match="injected fault"):
            bank.check_compliance(DEPOSITOR)
    bank.set_fault("compliance.check_depositor", 0)
    assert bank.check_compliance(DEPOSITOR)["verdict"] == "clear"
    bank.set_fault("escrow.reserve_account", 3)
    bank.reset()
    assert bank.faults() == {}


def test_fault_after_effect_replays_first_result(bank):
    cid = bank.create_client(DEPOSITOR, idempotency_key="c", order_id="o1")
    bank.set_fault("escrow.reserve_account", 1, after_effect=True)
    with pytest.raises(TransientBankError):
        bank.reserve_escrow_account("o1", cid, 5, "2029-01-01", idempotency_key="r")
    acc = bank.reserve_escrow_account("o1", cid, 5, "2029-01-01", idempotency_key="r")
    assert bank.find_escrow_account("o1") == acc
    assert bank.effects("o1")["escrow.reserve_account"] == 1


def test_refusal_not_recorded(bank):
    cid = bank.create_client(DEPOSITOR, idempotency_key="c", order_id="o1")
    acc = bank.reserve_escrow_account("o1", cid, 5, "2029-01-01", idempotency_key="r")
    bank.set_project_closed(DEV["id"])
    with pytest.raises(BankRefusal) as e:
        bank.bind_to_developer(acc, DEV["developer_account"], DEV["id"], idempotency_key="b")
    assert e.value.code == "project_closed"
    bank.set_project_closed(DEV["id"], False)
    assert bank.bind_to_developer(acc, DEV["developer_account"], DEV["id"], idempotency_key="b")


def test_compliance_triggers(bank):
    assert bank.check_compliance({**DEPOSITOR, "last_name": "Blocked"})["reason"] == "listed_person"
    bad = {**DEPOSITOR, "passport": {**DEPOSITOR["passport"], "series": "4500", "number": "000001"}}
    assert bank.check_compliance(bad)["verdict"] == "refused"
    old = {**DEPOSITOR, "passport": {**DEPOSITOR["passport"], "issued_on": "2003-01-10"}}
    assert bank.check_compliance(old)["reason"] == "passport_expired"


def test_not_found_and_merge(bank):
    with pytest.raises(NotFound):
        bank.release_escrow_account("40817810000000000000", idempotency_key="x")
    with pytest.raises(NotFound):
        bank.get_client("C404")
    survivor = bank.merge_clients(["C00000002", "C00000003"], idempotency_key="m")
    assert survivor == "C00000002"
    assert [c["client_id"] for c in bank.find_clients_by_document("4510", "654321")] == [survivor]
    assert bank.merge_clients(["C00000002", "C00000003"], idempotency_key="m") == survivor
    assert len(bank.merges()) == 1


def test_reservation_expires():
    now = [NOW]
    bank = SimulatedBank(clock=lambda: now[0], reservation_ttl=timedelta(days=1))
    cid = bank.create_client(DEPOSITOR, idempotency_key="c", order_id="o1")
    acc = bank.reserve_escrow_account("o1", cid, 5, "2029-01-01", idempotency_key="r")
    now[0] = NOW + timedelta(days=2)
    assert bank.find_escrow_account("o1") is None
    with pytest.raises(BankRefusal):
        bank.bind_to_developer(acc, DEV["developer_account"], DEV["id"], idempotency_key="b")


def test_shared_fault_injector():
    faults = FaultInjector()
    bank = SimulatedBank(faults=faults)
    faults.set("clients.find_by_document", 1)
    with pytest.raises(TransientBankError):
        bank.find_clients_by_document("4510", "123456")


def test_thread_safety(bank):
    import threading
    errors, ids = [], []

    def worker(i):
        try:
            ids.append(bank.create_client(DEPOSITOR, idempotency_key=f"k{i}", order_id="o1"))
        except AlreadyExists as exc:
            errors.append(exc.existing_id)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 1 and set(errors) == set(ids)


def test_lookups_say_which_order_created_a_client(bank):
    cid = bank.create_client(DEPOSITOR, idempotency_key="c", order_id="o1")
    passport = DEPOSITOR["passport"]
    [found] = bank.find_clients_by_document(passport["series"], passport["number"])
    assert found["client_id"] == cid and found["created_for"] == "o1"
    assert bank.find_clients_by_document("4510", "123456")[0]["created_for"] is None  # seeded


def test_a_client_in_use_by_another_order_is_kept(bank):
    cid = bank.create_client(DEPOSITOR, idempotency_key="c", order_id="o1")
    acc = bank.reserve_escrow_account("o2", cid, 100_00, "2029-01-01", idempotency_key="r2")
    assert bank.deactivate_client(cid, idempotency_key="d1") == "in_use"
    assert bank.get_client(cid)["status"] == "active"
    assert bank.snapshot_for_order("o1")["holds_nothing"]       # kept for o2, not held for o1
    bank.release_escrow_account(acc, idempotency_key="u2")
    assert bank.deactivate_client(cid, idempotency_key="d1b") == "deactivated"
    assert bank.deactivate_client(cid, idempotency_key="d1c") == "inactive"
    assert bank.effects("o1") == {"clients.create_depositor": 1, "clients.deactivate_depositor": 1}


def test_a_reservation_brings_back_a_client_a_rollback_deactivated(bank):
    """An order that chose the client before the creator's rollback deactivated it."""
    cid = bank.create_client(DEPOSITOR, idempotency_key="c", order_id="o1")
    assert bank.deactivate_client(cid, idempotency_key="d1") == "deactivated"
    bank.reserve_escrow_account("o2", cid, 100_00, "2029-01-01", idempotency_key="r2")
    assert bank.get_client(cid)["status"] == "active"
    assert bank.effects("o2") == {"escrow.reserve_account": 1, "clients.reactivate": 1}
    bank.merge_clients(["C00000002", "C00000003"], idempotency_key="m")
    with pytest.raises(BankRefusal):   # a merged record is not brought back
        bank.reserve_escrow_account("o3", "C00000003", 100_00, "2029-01-01", idempotency_key="r3")
