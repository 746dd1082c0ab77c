"""The engine's own ceiling for the order saga: the bare engine, no I/O.

The same order_creation model the system runs, driven the way the worker drives it: deferred
service tasks completed with the variables the handlers would return (a new client:
client_match "none"), and a JSON round trip of the instance state after every step
(dump -> json.dumps -> json.loads -> load), until the order waits for its signature.
"""
import json
import time
from datetime import datetime, timezone

TARGET_STATUS = "AWAITING_SIGNATURE"
# what the handlers of the happy "new client" path hand back to the model's gateways
HANDLER_VARIABLES = {"clients.find_by_document": {"client_match": "none"}}
MAX_STEPS = 50


def _roundtrip(engine, model, inst):
    state = json.loads(json.dumps(inst.dump(), separators=(",", ":")))
    return engine.load(model, state)


def run_one(engine, model, initial_data: dict, now: datetime) -> int:
    """One instance from start to AWAITING_SIGNATURE; returns the number of service steps."""
    inst = engine.start(model, dict(initial_data))
    inst.advance(now)
    inst = _roundtrip(engine, model, inst)
    steps = 0
    while inst.status() != TARGET_STATUS:
        calls = inst.pending_service_calls()
        if not calls or steps >= MAX_STEPS:
            raise RuntimeError(f"engine ceiling: stuck at status {inst.status()} after {steps} steps")
        call = calls[0]
        inst.complete_service(call.task_id, HANDLER_VARIABLES.get(call.handler, {}))
        inst.advance(now)
        inst = _roundtrip(engine, model, inst)
        steps += 1
    return steps


def measure_engine_ceiling(engine, model, initial_data: dict, instances: int = 300,
                           min_seconds: float = 0.0) -> dict:
    """Instances per second of the bare engine (one thread), after a short warm-up."""
    now = datetime.now(timezone.utc)
    for _ in range(min(10, instances)):
        steps = run_one(engine, model, initial_data, now)
    done, start = 0, time.perf_counter()
    while done < instances or time.perf_counter() - start < min_seconds:
        run_one(engine, model, initial_data, now)
        done += 1
    elapsed = time.perf_counter() - start
    return {"engine_ceiling_per_s": done / elapsed, "engine_ceiling_instances": done,
            "engine_steps_per_saga": steps}
