"""The engine's own throughput ceiling for a model, in the worker's pattern.

Per instance: start, then complete each pending service call, one at a time, with the variables
its handler would return, and a JSON round trip (dump -> json.dumps -> json.loads -> load)
after every step, until the instance waits (a user task, a timer) or completes. No I/O.
"""
import json
import time
from datetime import datetime, timezone

from .engine import ParsedModel, ProcessEngine

MAX_STEPS = 100  # a model that never stops for the worker is a mistake, not a measurement


def _roundtrip(engine, model, inst):
    return engine.load(model, json.loads(json.dumps(inst.dump(), separators=(",", ":"))))


def run_once(engine: ProcessEngine, model: ParsedModel, handler_outputs: dict, data=None, now=None):
    """One instance until it waits; returns (instance, number of service steps)."""
    now = now or datetime.now(timezone.utc)
    inst = engine.start(model, dict(data or {}))
    inst.advance(now)
    inst = _roundtrip(engine, model, inst)
    steps = 0
    while calls := inst.pending_service_calls():
        if steps >= MAX_STEPS:
            raise RuntimeError(f"engine ceiling: still running after {steps} steps")
        inst.complete_service(calls[0].task_id, handler_outputs.get(calls[0].handler, {}))
        inst.advance(now)
        inst = _roundtrip(engine, model, inst)
        steps += 1
    return inst, steps


def measure_engine_ceiling(engine: ProcessEngine, model: ParsedModel, handler_outputs: dict,
                           data: dict | None = None, instances: int = 300) -> dict:
    """Instances per second of the bare engine (this thread), after a short warm-up, and the
    CPU milliseconds one instance takes (which a busy machine disturbs less than the rate)."""
    now = datetime.now(timezone.utc)
    for _ in range(min(10, instances)):
        _, steps = run_once(engine, model, handler_outputs, data, now)
    started, cpu_started = time.perf_counter(), time.thread_time()
    for _ in range(instances):
        run_once(engine, model, handler_outputs, data, now)
    cpu_ms = (time.thread_time() - cpu_started) * 1000 / instances
    return {"engine_ceiling_per_s": instances / (time.perf_counter() - started),
            "engine_ceiling_cpu_ms": cpu_ms,
            "engine_ceiling_instances": instances, "engine_steps_per_saga": steps}
