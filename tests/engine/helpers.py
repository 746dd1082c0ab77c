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
