"""Messages, timers and loops on a signing flow: cancel interrupts a user task or a started
service task, a re-sent code loops back, the code expires on a timer."""
from datetime import timedelta

import pytest

from .helpers import NOW, complete, drain, only_call, roundtrip


@pytest.fixture
def signing(model):
    return model("signing")


def to_signature(engine, signing):
    inst = engine.start(signing, {})
    inst.advance(NOW)
    inst, _ = complete(engine, inst, {"client_id": "c1"}, step="reserve")
    inst, _ = complete(engine, inst, {"code_id": "code-1", "code_ttl": "PT5M"}, step="send_code")
    return inst


def test_user_task_view(engine, signing):
    inst = to_signature(engine, signing)
    [task] = inst.ready_user_tasks()
    assert (task.step, task.label, task.lane, task.form) == (
        "sign_order", "Sign the order", "depositor", "sign_order.json")
    assert task.properties["status"] == "AWAITING_SIGNATURE"
    assert task.data["code_id"] == "code-1"
    assert inst.status() == "AWAITING_SIGNATURE"
    inst.complete_user_task(task.task_id, {"code": "1234"})
    inst.advance(NOW)
    inst, _ = complete(engine, inst, step="bind")
    assert inst.is_completed() and inst.status() == "ACTIVE" and inst.data["code"] == "1234"


def test_cancel_interrupts_waiting_user_task_then_compensates(engine, signing):
    inst = to_signature(engine, signing)
    assert inst.send_message("cancel_order", {"reason": "changed mind"})
    inst.advance(NOW)
    assert inst.ready_user_tasks() == []
    assert inst.next_timer_at() is None               # the expiry timer went with the user task
    inst, calls = drain(engine, inst)
    assert [(c.handler, c.compensates) for c in calls] == [
        ("sms.revoke_code", "send_code"), ("escrow.release", "reserve")]
    assert calls[0].params == {"code_id": "code-1"}
    assert inst.is_completed() and inst.status() == "CANCELLED"
    states = inst.step_states()
    assert states["sign_order"] == "cancelled"
    assert states["send_code"] == states["reserve"] == "compensated"
    assert inst.data["cancel_order"] == {"reason": "changed mind"}


def test_cancel_interrupts_started_service_task(engine, signing):
    inst = to_signature(engine, signing)
    inst.complete_user_task(inst.ready_user_tasks()[0].task_id, {"code": "1234"})
    inst.advance(NOW)
    bind = only_call(inst)
    assert bind.step == "bind"
    inst.send_message("cancel_order", {"reason": "late"})
    inst.advance(NOW)
    assert bind.task_id not in [c.task_id for c in inst.pending_service_calls()]
    inst, calls = drain(engine, inst)
    assert [c.handler for c in calls] == ["sms.revoke_code", "escrow.release"]
    assert inst.status() == "CANCELLED"
    assert inst.step_states()["bind"] == "cancelled"  # never completed: not compensated
    assert inst.step_states()["sign_order"] == "completed"   # nothing to undo


def test_resent_code_loops_and_each_send_is_compensated_once(engine, signing):
    inst = to_signature(engine, signing)
    for n in (2, 3):
        assert inst.send_message("new_code_requested", {})
        inst.advance(NOW)
        inst, call = complete(engine, inst, {"code_id": f"code-{n}", "code_ttl": "PT5M"}, step="send_code")
        assert [t.step for t in inst.ready_user_tasks()] == ["sign_order"]
    inst.send_message("cancel_order", {"reason": "x"})
    inst.advance(NOW)
    inst, calls = drain(engine, inst)
    # every completed send is undone, newest first, then the reservation
    assert [c.params.get("code_id") for c in calls] == ["code-3", "code-2", "code-1", None]
    assert [c.handler for c in calls][-1] == "escrow.release"
    assert inst.status() == "CANCELLED"
    assert inst.step_states()["send_code"] == "compensated"


def test_timer_boundary_fires_at_injected_now(engine, signing):
    inst = to_signature(engine, signing)
    assert inst.next_timer_at() == NOW + timedelta(minutes=5)
    inst.advance(NOW + timedelta(minutes=4))
    inst = roundtrip(engine, inst)
    assert inst.ready_user_tasks() and not inst.is_completed()
    assert inst.next_timer_at() == NOW + timedelta(minutes=5)
    inst.advance(NOW + timedelta(minutes=5, seconds=1))
    assert inst.ready_user_tasks() == []
    assert inst.is_completed() and inst.status() == "EXPIRED"
    assert inst.step_states()["code_expired"] == "completed"
    assert inst.next_timer_at() is None


def test_new_code_restarts_the_timer(engine, signing):
    inst = to_signature(engine, signing)
    later = NOW + timedelta(minutes=3)
    inst.send_message("new_code_requested", {})
    inst.advance(later)
    inst.complete_service(only_call(inst).task_id, {"code_id": "code-2", "code_ttl": "PT10M"})
    inst.advance(later)
    assert inst.next_timer_at() == later + timedelta(minutes=10)
