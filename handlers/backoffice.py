"""Back-office housekeeping that changes nothing in the bank's core."""
import logging

from app.domain.clock import iso
from app.observability import events
from handlers.base import StepCall, StepOutcome
from handlers.registry import handler


@handler("backoffice.escalate")
def escalate(call: StepCall) -> StepOutcome:
    """SLA breached: tell the supervisor (a log event; the order's history records the step)."""
    events.emit(logging.WARNING, "backoffice.escalated",
                "order {order_id}: back-office review overdue, escalated to the supervisor",
                order_id=call.order_id, step=call.step, handler="backoffice.escalate")
    return StepOutcome(results={"backoffice_escalated_at": iso(call.now)})
