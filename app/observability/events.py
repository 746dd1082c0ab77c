"""Log events: one line per thing that happened, with `event.action` and allow-listed fields.

An event is built only from the fields named in FIELDS (ids, step and handler names, counts,
codes, statuses), never from an order's data or a free-text error, so no personal data can reach
a line through one: there is no field to put it in. Its message is a template filled with the
same values. Fields are ECS fields, or under the project's custom prefix `escrow.` (ECS has no
order, step or handler).
"""
import logging
import re

log = logging.getLogger("escrow.events")

PREFIX = "escrow."
FIELDS = {  # keyword argument -> ECS field (or escrow.*)
    "order_id": "escrow.order.id",
    "step": "escrow.step",
    "handler": "escrow.handler",
    "attempt": "escrow.attempt",
    "incident_id": "escrow.incident.id",
    "actor": "escrow.actor",
    "status_from": "escrow.status.from",
    "status_to": "escrow.status.to",
    "signing_result": "escrow.signing.result",
    "route": "escrow.http.route",          # the route template, never the path with its ids
    "error_code": "error.code",
    "error_type": "error.type",
    "outcome": "event.outcome",            # success | failure | unknown (ECS allowed values)
    "method": "http.request.method",
    "status_code": "http.response.status_code",
    "duration_ns": "event.duration",
}

# Ids come from outside too (a path, a Kafka key): logged only when they are ids (app.domain.ids).
_IDS = {"order_id", "incident_id"}
_OPAQUE_ID = re.compile(r"[a-z]{1,8}_[0-9a-f]{6,64}")


def fields(action: str, **values) -> dict:
    """The ECS fields of an event (None values and malformed ids left out); a TypeError for a
    field not allowed."""
    unknown = set(values) - FIELDS.keys()
    if unknown:
        raise TypeError(f"not an allowed log event field: {', '.join(sorted(unknown))}")
    found = {"event.kind": "event", "event.action": action}
    for key, value in values.items():
        if value is not None and (key not in _IDS or _OPAQUE_ID.fullmatch(str(value))):
            found[FIELDS[key]] = value
    return found


def emit(level: int, action: str, template: str, **values) -> None:
    """Log one event; `template` ("step {step} failed") is filled with the event's own values."""
    if log.isEnabledFor(level):
        found = fields(action, **values)
        shown = {key: value for key, value in values.items() if FIELDS[key] in found}
        log.log(level, template.format_map(_Blank(shown)), extra={"ecs": found})


class _Blank(dict):
    """Template values; a missing one reads as '-' rather than failing the log call."""

    def __missing__(self, key):
        return "-"
