"""Flowable's nested transaction models (fixtures/flowable, adapted: see each file's header), with
what Flowable's TransactionSubProcessTest asserts, and where we differ, why. Their user tasks have
no form, as in Flowable: parsed as a simulation parses them (a form is a deployment binding)."""
from collections import Counter

import pytest

from .conftest import FIXTURES
from .helpers import NOW, complete_user, finish, roundtrip


@pytest.fixture
def flowable(engine):
    def start(name):
        model = engine.parse({name: (FIXTURES / "flowable" / name).read_bytes()}, "transactionProcess",
                             bindings_required=False)
        inst = engine.start(model, {})
        inst.advance(NOW)
        inst = roundtrip(engine, inst)
        while calls := [c for c in inst.pending_service_calls() if not c.compensates]:   # the bookings
            inst, _ = finish(engine, inst, calls[0].step)
        return inst
    return start


def undo(engine, inst):
    """Run the compensation handlers the worker is offered, one at a time; their element ids."""
    done = []
    while calls := [c for c in inst.pending_service_calls() if c.compensates]:
        assert len(calls) == 1
        inst, call = finish(engine, inst, calls[0].step)
        done.append(call.step)
    return inst, done


def test_nested_cancel_inner(engine, flowable):
    """testNestedCancelInner: the inner transaction is cancelled: its five hotel bookings and its
    flight are undone, not the outer transaction's flight; the outer one goes on."""
    inst = flowable("nested_cancel_inner.bpmn")
    assert sorted(t.step for t in inst.ready_user_tasks()) == ["bookFlight", "innerTxaskCustomer"]
    inst = complete_user(engine, inst, "innerTxaskCustomer", {"confirmed": False})
    inst, done = undo(engine, inst)
    assert Counter(done) == {"innerTxundoBookHotel": 5, "innerTxundoBookFlight": 1}
    assert inst.step_states()["afterInnerCancellation"] == "waiting"
    inst = complete_user(engine, inst, "bookFlight")
    assert inst.send_message("go", {})
    inst.advance(NOW)
    assert inst.is_completed()
    assert "undoBookFlight" not in inst.step_states()


def test_nested_cancel_outer(engine, flowable):
    """testNestedCancelOuter: the outer transaction is cancelled while the inner one still runs.
    Flowable (like Camunda 7) undoes the outer flight only and drops the inner transaction's
    compensations; we also undo what the inner transaction had completed (BPMN 2.0.2 13.5.5:
    cancelling a scope compensates its completed part; a saga must undo everything done), newest
    first: the outer flight (completed last), then the inner bookings."""
    inst = flowable("nested_cancel_outer.bpmn")
    inst = complete_user(engine, inst, "bookFlight")
    inst, done = undo(engine, inst)
    assert done[0] == "undoBookFlight"
    assert Counter(done[1:]) == {"innerTxundoBookHotel": 5, "innerTxundoBookFlight": 1}
    states = inst.step_states()
    assert states["innerTx"] == "compensated" and states["innerTxaskCustomer"] == "cancelled"
    assert states["afterOuterCancellation"] == "waiting"
    assert inst.send_message("go", {})
    inst.advance(NOW)
    assert inst.is_completed()


def test_cancelling_one_instance_of_a_multi_instance_transaction(engine, flowable):
    """testMultiInstanceTx: cancelling one instance cancels all five and compensates them all."""
    inst = flowable("multi_instance_transaction.bpmn")
    tasks = inst.ready_user_tasks()
    assert len(tasks) == 5
    inst.complete_user_task(tasks[0].task_id, {"confirmed": False})
    inst.advance(NOW)
    inst, done = undo(engine, roundtrip(engine, inst))
    assert Counter(done) == {"undoBookHotel": 5, "undoBookFlight": 5}
    assert inst.ready_user_tasks() == []
    assert inst.step_states()["afterCancellation"] == "waiting"
    assert inst.send_message("go", {})
    inst.advance(NOW)
    assert inst.is_completed()


def test_multi_instance_transaction_that_succeeds(engine, flowable):
    inst = flowable("multi_instance_transaction.bpmn")
    for task in inst.ready_user_tasks():
        inst.complete_user_task(task.task_id, {"confirmed": True})
    inst.advance(NOW)
    assert inst.send_message("go", {})          # the five inner receive tasks
    inst.advance(NOW)
    assert inst.step_states()["afterSuccess"] == "waiting"
    assert inst.send_message("go", {})
    inst.advance(NOW)
    assert inst.is_completed() and inst.pending_service_calls() == []
