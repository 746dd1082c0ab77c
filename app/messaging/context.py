"""The saga context record published to the compacted order-context topic."""
from app.domain.clock import iso

SCHEMA_VERSION = 1
# Everything needed to show the order and resume its saga; never signing codes (kept elsewhere).
_FIELDS = ("company", "project", "created_by", "idempotency_scope", "request_hash", "data", "status", "version",
           "model", "process", "steps", "results", "open_tasks", "claims", "incidents",
           "applied_commands", "history", "cancel_requested")
_TIMES = ("created_at", "updated_at", "next_wake_at")


def _json_safe(value):
    if hasattr(value, "isoformat"):
        return iso(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def build_context(order: dict) -> dict:
    record = {"schema_version": SCHEMA_VERSION, "id": order["_id"]}
    for name in _FIELDS:
        record[name] = _json_safe(order.get(name))
    for name in _TIMES:
        record[name] = iso(order.get(name))
    return record
