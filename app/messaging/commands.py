"""Command envelopes: what the API (and the scheduler) ask the process manager to do."""
import json
from dataclasses import asdict, dataclass, field

from app.domain.clock import iso, utcnow
from app.domain.ids import new_id
from app.messaging import topics
from app.observability import trace

START = "order.start"
WAKE = "order.wake"                   # a timer or a retry is due
CANCEL = "order.cancel"
COMPLETE_TASK = "task.complete"
SIGNATURE_CONFIRMED = "signature.confirmed"
NEW_CODE_REQUESTED = "signature.code_requested"
RETRY_INCIDENT = "incident.retry"
RESOLVE_INCIDENT = "incident.resolve"
TYPES = (START, WAKE, CANCEL, COMPLETE_TASK, SIGNATURE_CONFIRMED, NEW_CODE_REQUESTED,
         RETRY_INCIDENT, RESOLVE_INCIDENT)


class BadCommand(ValueError):
    pass


@dataclass(frozen=True)
class Command:
    type: str
    order_id: str
    actor: str
    payload: dict = field(default_factory=dict)
    id: str = field(default_factory=lambda: new_id("cmd"))
    at: str = field(default_factory=lambda: iso(utcnow()))

    def outbox_event(self) -> dict:
        """The form a command takes in an order's outbox (with the trace context as headers)."""
        return {"id": self.id, "topic": topics.COMMANDS, "value": asdict(self), **trace.outbox_fields()}

    @classmethod
    def decode(cls, raw: bytes) -> "Command":
        try:
            value = json.loads(raw)
            command = cls(**value)
        except (TypeError, ValueError) as error:
            raise BadCommand(f"undecodable command: {error}") from error
        if command.type not in TYPES or not command.order_id:
            raise BadCommand(f"unknown command type {command.type!r}")
        return command
