"""What becomes of a service call that fails: one set of rules for the worker and the simulator.

- A technical failure is retried until the call's retry policy is used up; then it is thrown
  into the model as BPMN error `step_failed`.
- A business error is thrown at once with its own code; a code the model does not catch is
  thrown again as `step_failed` (rolled back like a technical failure).
- If the model catches neither, an operator must act: an incident.
- A compensation handler that fails for good is parked (compensation failed): an incident too,
  never a silent stop of the rollback.
"""
from .errors import UnhandledBpmnError

STEP_FAILED = "step_failed"     # the BPMN error code of a step that exhausted its retries

THROWN = "thrown"                           # the model caught the error and goes on
UNCAUGHT = "uncaught"                       # nothing caught it: incident on the step
COMPENSATION_FAILED = "compensation_failed"  # a rollback step failed: incident on the handler


def may_retry(call, attempts: int) -> bool:
    """After `attempts` failed tries, is another one allowed?"""
    return attempts < call.retry.max_attempts


def throw_to_model(inst, call, code: str, message: str) -> bool:
    """Throw BPMN error `code` from the call's task, falling back to step_failed for an
    uncaught business code. False when nothing in the model catches it."""
    try:
        inst.fail_service(call.task_id, code, message)
        return True
    except UnhandledBpmnError:
        pass
    if code == STEP_FAILED:
        return False
    try:
        inst.fail_service(call.task_id, STEP_FAILED, f"{code}: {message}")
        return True
    except UnhandledBpmnError:
        return False


def give_up(inst, call, code: str, message: str) -> str:
    """A call failed for good (technical failure after its retries: code step_failed; or a
    business error): THROWN, UNCAUGHT or COMPENSATION_FAILED."""
    if call.compensates:
        inst.mark_compensation_failed(call.task_id)
        return COMPENSATION_FAILED
    return THROWN if throw_to_model(inst, call, code, message) else UNCAUGHT
