"""Linear saga: compensation boundary events, an error event sub-process that compensates."""
import json

import pytest

from app.engine import RetryPolicy, UnhandledBpmnError
from .helpers import NOW, complete, only_call, roundtrip


@pytest.fixture
def saga(model):
    return model("saga")


def start(engine, saga):
    inst = engine.start(saga, {"amount": 100})
    inst.advance(NOW)
    return inst


def test_happy_path(engine, saga):
    inst = start(engine, saga)
    call = only_call(inst)
    assert (call.step, call.label, call.handler) == ("step1", "Reserve account", "escrow.step1")
    assert call.params == {"amount": 100, "currency": "RUB"}
    assert call.retry == RetryPolicy(5, 0.5)          # from extension properties
    assert call.compensates is None
    inst, _ = complete(engine, inst, {"client_id": "c1"}, step="step1")
    inst, call = complete(engine, inst, {"escrow_account": "40817"}, step="step2")
    assert call.retry == RetryPolicy(3, 1.0)          # engine default
    assert inst.status() is None and not inst.is_completed()
    inst, _ = complete(engine, inst, step="step3")
    assert inst.is_completed()
    assert inst.status() == "ACTIVE"
    assert inst.data["escrow_account"] == "40817" and inst.data["client_id"] == "c1"
    assert {inst.step_states()[s] for s in ("step1", "step2", "step3", "end")} == {"completed"}
    assert inst.pending_service_calls() == []


def test_failed_step3_compensates_step2_then_step1(engine, saga):
    inst = start(engine, saga)
    inst, _ = complete(engine, inst, step="step1")
    inst, _ = complete(engine, inst, {"escrow_account": "40817"}, step="step2")
    call = only_call(inst)
    assert call.step == "step3"
    inst.fail_service(call.task_id, "step_failed", "bank down")
    inst.advance(NOW)
    states = inst.step_states()
    assert states["step3"] == "cancelled"             # never completed: not compensated
    assert states["step2"] == "compensating" and states["step1"] == "completed"

    handlers = []
    while inst.pending_service_calls():
        inst = roundtrip(engine, inst)                # round trip in the middle of compensation
        call = only_call(inst)
        handlers.append((call.handler, call.compensates))
        if call.step == "undo2":
            assert call.params == {"account": "40817"}   # the handler sees the step's data
        inst, _ = complete(engine, inst)
    assert handlers == [("escrow.undo2", "step2"), ("escrow.undo1", "step1")]
    assert inst.is_completed()
    assert inst.status() == "ROLLED_BACK"
    states = inst.step_states()
    assert states["step1"] == states["step2"] == "compensated"
    assert states["step3"] == "cancelled"
    assert inst.data["bpmn_error"] == {"code": "step_failed", "message": "bank down", "step": "step3"}


def test_step_that_never_completed_is_not_compensated(engine, saga):
    inst = start(engine, saga)
    inst, _ = complete(engine, inst, step="step1")
    inst.fail_service(only_call(inst).task_id, "step_failed", "no")
    inst.advance(NOW)
    inst, call = complete(engine, inst)
    assert call.handler == "escrow.undo1"
    assert inst.is_completed() and inst.status() == "ROLLED_BACK"
    assert inst.step_states()["step2"] == "cancelled"


def test_unhandled_error_raises(engine, saga):
    inst = start(engine, saga)
    call = only_call(inst)
    with pytest.raises(UnhandledBpmnError, match="no_such_code"):
        inst.fail_service(call.task_id, "no_such_code", "boom")
    assert only_call(inst).task_id == call.task_id    # still waiting for the worker


def test_compensation_failure_parks_and_can_be_retried(engine, saga):
    inst = start(engine, saga)
    inst, _ = complete(engine, inst, step="step1")
    inst.fail_service(only_call(inst).task_id, "step_failed", "no")
    inst.advance(NOW)
    call = only_call(inst)
    inst.mark_compensation_failed(call.task_id)
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    assert inst.pending_service_calls() == []
    assert [c.task_id for c in inst.pending_service_calls(include_failed=True)] == [call.task_id]
    assert inst.step_states()["step1"] == "compensation_failed"
    assert not inst.is_completed()
    inst.retry_service(call.task_id)
    assert inst.step_states()["step1"] == "compensating"
    inst, _ = complete(engine, inst)
    assert inst.status() == "ROLLED_BACK" and inst.step_states()["step1"] == "compensated"


def test_cancel_message_interrupts_started_service_task(engine, saga):
    inst = start(engine, saga)
    inst, _ = complete(engine, inst, step="step1")
    step2 = only_call(inst)
    assert inst.send_message("cancel_order", {"reason": "client changed mind"})
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    call = only_call(inst)                            # step2 is gone, undo1 runs
    assert call.handler == "escrow.undo1" and call.task_id != step2.task_id
    inst, _ = complete(engine, inst)
    assert inst.is_completed() and inst.status() == "CANCELLED"
    assert inst.step_states()["step2"] == "cancelled"
    assert inst.data["cancel_order"] == {"reason": "client changed mind"}
    assert not inst.send_message("cancel_order", {})  # nothing listens any more


def test_state_is_small_and_json_safe(engine, saga):
    inst = start(engine, saga)
    inst, _ = complete(engine, inst, step="step1")
    inst, _ = complete(engine, inst, {"escrow_account": "40817"}, step="step2")
    state = inst.dump()
    text = json.dumps(state)
    assert "task_specs" not in text and state["spec_hash"] == inst.model.spec_hash
    print(f"\nsaga state mid-process: {len(text)} bytes")
    assert len(text) < 8000
    again = engine.load(inst.model, state)
    assert json.dumps(again.dump()) == text           # load does not consume the state
    assert json.dumps(state) == text


def test_triggering_an_event_subprocess_does_not_change_the_shared_spec(engine, saga):
    before = engine.registry.convert(saga.spec)
    inst = start(engine, saga)
    inst.send_message("cancel_order", {})
    inst.advance(NOW)
    assert engine.registry.convert(saga.spec) == before
    fresh = start(engine, saga)
    assert [c.step for c in fresh.pending_service_calls()] == ["step1"]
    assert "on_cancel" not in fresh.step_states()


def test_cancel_during_rollback_does_not_run_handlers_twice_or_in_parallel(engine, saga):
    inst = start(engine, saga)
    inst, _ = complete(engine, inst, step="step1")
    inst, _ = complete(engine, inst, {"escrow_account": "1"}, step="step2")
    inst.fail_service(only_call(inst).task_id, "step_failed", "x")
    inst.advance(NOW)
    assert only_call(inst).step == "undo2"
    inst.send_message("cancel_order", {"reason": "impatient"})
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    handlers = []
    while inst.pending_service_calls():
        inst, call = complete(engine, inst)          # only_call: never two at once
        handlers.append(call.step)
    assert handlers == ["undo2", "undo1"]
    assert inst.is_completed() and inst.status() == "ROLLED_BACK"
    assert inst.step_states()["step1"] == inst.step_states()["step2"] == "compensated"
