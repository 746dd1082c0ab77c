"""Helpers shared by the engine tests."""
import json
from datetime import datetime, timezone

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def roundtrip(engine, inst):
    """What the worker does between steps: dump, JSON, load."""
    return engine.load(inst.model, json.loads(json.dumps(inst.dump())))


def only_call(inst):
    calls = inst.pending_service_calls()
    assert len(calls) == 1, calls
    return calls[0]


def complete(engine, inst, variables=None, step=None):
    """Complete the single pending call (optionally checking its step), advance, round-trip."""
    call = only_call(inst)
    if step is not None:
        assert call.step == step, call
    inst.complete_service(call.task_id, variables or {})
    inst.advance(NOW)
    return roundtrip(engine, inst), call


def drain(engine, inst):
    """Complete every pending call, one at a time, with a round trip after each."""
    seen = []
    while inst.pending_service_calls():
        inst, call = complete(engine, inst)
        seen.append(call)
    return inst, seen


def user_tasks(inst):
    return {t.step: t for t in inst.ready_user_tasks()}


def complete_user(engine, inst, step, data=None):
    """Complete the ready user task at `step`, advance, round-trip."""
    inst.complete_user_task(user_tasks(inst)[step].task_id, data or {})
    inst.advance(NOW)
    return roundtrip(engine, inst)


def call_for(inst, step):
    calls = [c for c in inst.pending_service_calls() if c.step == step]
    assert calls, (step, inst.pending_service_calls())
    return calls[0]


def finish(engine, inst, step, variables=None):
    """Complete the pending call at `step` (there may be others), advance, round-trip."""
    call = call_for(inst, step)
    inst.complete_service(call.task_id, variables or {})
    inst.advance(NOW)
    return roundtrip(engine, inst), call
