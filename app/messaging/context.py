"""The saga context record published to the compacted order-context topic.

One record per committed change of an order, key = order id: the whole order document (minus
its outbox) with its full history, so that `python -m app.rebuild` can restore the order from
the newest record alone. Its shape is `OrderContextRecord` in asyncapi.yaml; change both together
(and bump SCHEMA_VERSION when an old reader could misread a new record).
"""
from app.domain.clock import iso

SCHEMA_VERSION = 1
# Everything needed to show the order and resume its saga; never signing codes (kept elsewhere).
_FIELDS = ("company", "project", "created_by", "request_hash", "data", "status", "version",
           "model", "process", "steps", "results", "open_tasks", "claims", "incidents",
           "applied_commands", "history", "cancel_requested")
# Absent from the document (and the record) until set. completed_tasks: task id -> {by, at},
# written by the API when it accepts a task completion (the worker then applies the command).
_OPTIONAL = ("idempotency_scope", "completed_tasks")
_TIMES = ("created_at", "updated_at", "next_wake_at")
NOT_PUBLISHED = ("_id", "outbox")  # the id travels as `id`; the outbox is what is being sent
# Never in a record, whatever a future document field is called (see tests/e2e/test_context_topic.py).
FORBIDDEN_KEYS = frozenset({"code", "code_hash", "code_salt"})


def _json_safe(value):
    if hasattr(value, "isoformat") and hasattr(value, "hour"):  # datetime
        return iso(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _older_history(order_id: str) -> list[dict]:
    """History entries the repository paged out of the order document (order_history)."""
    from app.store.documents import HistoryEntry
    older = []
    for entry in HistoryEntry._get_collection().find({"order_id": order_id}).sort("at", 1):
        older.append({"id": entry["_id"], "at": entry.get("at"), "actor": entry.get("actor"),
                      "action": entry.get("action"), "detail": entry.get("detail") or {}})
    return older


def full_history(order: dict, older: list[dict] | None = None) -> list[dict]:
    """Paged-out entries, then the inline ones; an entry caught in both places counts once."""
    older = _older_history(order["_id"]) if older is None else older
    inline = list(order.get("history") or [])
    inline_ids = {e.get("id") for e in inline}
    return [e for e in older if e["id"] not in inline_ids] + inline


def build_context(order: dict, older_history: list[dict] | None = None) -> dict:
    """The context record of an order document as read from the store."""
    record = {"schema_version": SCHEMA_VERSION, "id": order["_id"]}
    for name in _FIELDS:
        record[name] = _json_safe(order.get(name))
    for name in _OPTIONAL:
        if order.get(name) is not None:
            record[name] = _json_safe(order[name])
    record["history"] = _json_safe(full_history(order, older_history))
    for name in _TIMES:
        record[name] = iso(order.get(name))
    # A field added to the document later travels too rather than being lost; asyncapi.yaml
    # (closed at the top level) and the rebuild test then ask for it to be described and restored.
    for name, value in order.items():
        if name not in record and name not in NOT_PUBLISHED:
            record[name] = _json_safe(value)
    return record
