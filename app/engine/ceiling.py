"""The engine's own throughput ceiling for a model, in the worker's pattern.

Per instance: start, then for each pending service call complete it with the given variables,
with dump + json.dumps + json.loads + load after every step, until the instance waits in a user
task (or anything else that is not a service call) or completes. No database, no handlers.
"""
import json
import time
from datetime import datetime, timezone

from .engine import ParsedModel, ProcessEngine


def _roundtrip(engine, model, inst):
    return engine.load(model, json.loads(json.dumps(inst.dump(), separators=(",", ":"))))


def run_once(engine: ProcessEngine, model: ParsedModel, handler_outputs: dict, data=None, now=None):
    now = now or datetime.now(timezone.utc)
    inst = engine.start(model, dict(data or {}))
    inst.advance(now)
    inst = _roundtrip(engine, model, inst)
    while True:
        calls = inst.pending_service_calls()
        if not calls:
            return inst
        for call in calls:
            inst.complete_service(call.task_id, handler_outputs.get(call.handler, {}))
            inst.advance(now)
            inst = _roundtrip(engine, model, inst)


def measure_engine_ceiling(model: ParsedModel, n: int, handler_outputs: dict[str, dict],
                           data: dict | None = None) -> float:
    """Instances per second (wall clock, this process)."""
    engine = ProcessEngine(set(handler_outputs))
    now = datetime.now(timezone.utc)
    run_once(engine, model, handler_outputs, data, now)     # warm caches
    started = time.perf_counter()
    for _ in range(n):
        run_once(engine, model, handler_outputs, data, now)
    return n / (time.perf_counter() - started)
