"""Back-office housekeeping that changes nothing in the bank's core."""
import logging

from app.domain.clock import iso
from handlers.base import StepCall, StepOutcome
from handlers.registry import handler

log = logging.getLogger(__name__)


@handler("backoffice.escalate")
def escalate(call: StepCall) -> StepOutcome:
    """SLA breached: tell the supervisor (a log line; the order's history records the step)."""
    log.warning("back-office review of order %s is overdue: escalated to the supervisor",
                call.order_id)
    return StepOutcome(results={"backoffice_escalated_at": iso(call.now)})
