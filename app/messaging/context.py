"""The saga context record published to the compacted order-context topic.

One record per committed change of an order, key = order id: the whole order document (minus
its outbox) with its full history, so that `python -m app.rebuild` can restore the order from
the newest record alone. Its shape is `OrderContextRecord` in asyncapi.yaml; change both together
(and bump SCHEMA_VERSION when an old reader could misread a new record).
"""
import json

from app.domain.clock import iso

SCHEMA_VERSION = 1
# Everything needed to show the order and resume its saga; never signing codes (kept elsewhere).
_FIELDS = ("company", "project", "created_by", "request_hash", "data", "status", "version",
           "model", "process", "steps", "results", "open_tasks", "claims", "incidents",
           "applied_commands", "history", "cancel_requested")
# Absent from the document (and the record) until set. completed_tasks: task id -> {by, at},
# written by the API when it accepts a task completion (the worker then applies the command);
# signature_accepted: {command_id, actor, at}, written when the API accepts a signature.
_OPTIONAL = ("idempotency_scope", "completed_tasks", "signature_accepted")
_TIMES = ("created_at", "updated_at", "next_wake_at")
NOT_PUBLISHED = ("_id", "outbox")  # the id travels as `id`; the outbox is what is being sent
# Never in a record, whatever a future document field is called (see tests/e2e/test_context_topic.py).
FORBIDDEN_KEYS = frozenset({"code", "code_hash", "code_salt"})




def _json_default(value):
    """What JSON has no type for: a datetime as ISO 8601 UTC, anything else as its text."""
    if hasattr(value, "isoformat") and hasattr(value, "hour"):  # datetime
        return iso(value)
    return str(value)


def encode(record: dict) -> bytes:
    """The record as published: compact JSON (the encoder walks the order in C, calling
    _json_default only for the datetimes)."""
    return json.dumps(record, separators=(",", ":"), default=_json_default).encode()


def build_context(order: dict, history: list[dict]) -> dict:
    """The context record of an order document as read from the store, with its full history
    (OrderRepository.full_history: the paged-out entries too). Values are the document's own
    (datetimes too): `encode` makes it JSON."""
    record = {"schema_version": SCHEMA_VERSION, "id": order["_id"]}
    for name in _FIELDS:
        record[name] = order.get(name)
    for name in _OPTIONAL:
        if order.get(name) is not None:
            record[name] = order[name]
    record["history"] = history
    for name in _TIMES:
        record[name] = iso(order.get(name))
    # A field added to the document later travels too rather than being lost; asyncapi.yaml
    # (closed at the top level) and the rebuild test then ask for it to be described and restored.
    for name, value in order.items():
        if name not in record and name not in NOT_PUBLISHED:
            record[name] = value
    return record
