"""What the sagas do, as metrics and log events, from two narrow hooks:

- history_committed(): the order repository calls it with every history entry it has just
  committed (API and worker alike). Each entry is already an event (order id, actor, action,
  step, handler, attempt...): it becomes one log event, and drives the counters of orders
  created, compensations and signing attempts. Committed entries only, so an attempt that was
  redone after a lost race is counted once.
- instrument_handlers(): wraps each step handler at start-up to time every attempt with its
  outcome (ok, transient, business, error) and to count and log the retries.
- model_loaded(): every step of a model has its series at zero before its first attempt, so
  that rate() sees the first failure (a counter that appears with a value shows no increase).
Dead letters: dead_letter(), called by the consumer.
"""
import functools
import logging
import re
import time

from app.observability import events, metrics
from handlers.base import BusinessError, TransientError

log = logging.getLogger(__name__)
ERROR, WARNING, INFO, DEBUG = logging.ERROR, logging.WARNING, logging.INFO, logging.DEBUG
_ROLLBACK_STATUSES = {"ROLLING_BACK": "saga.rollback_started", "CANCELLING": "saga.rollback_started",
                      "ROLLED_BACK": "saga.rolled_back"}
_CODE = re.compile(r"[a-z][a-z_]{0,39}")  # a reason code, as the signing service gives them

# action -> (level, ECS event.outcome, message template); others are INFO "order X: <action>".
# At INFO an order that goes well writes what an operator follows it by (its request, created,
# each status change); each of its steps is DEBUG (their durations are the step histogram).
_EVENTS = {
    "order.created": (INFO, None, "order {order_id} created"),
    "process.started": (DEBUG, None, "order {order_id}: process.started"),
    "step.completed": (DEBUG, "success", "order {order_id}: step {step} completed"),
    "step.attempt_failed": (WARNING, "failure", "order {order_id}: step {step} attempt {attempt} failed"),
    "step.refused": (WARNING, "failure", "order {order_id}: step {step} refused ({error_code})"),
    "step.interrupted": (WARNING, "unknown", "order {order_id}: step {step} interrupted; it is compensated"),
    "step.compensated": (WARNING, "success", "order {order_id}: step {step} compensated"),
    "step.compensation_failed": (ERROR, "failure",
                                 "order {order_id}: the compensation of step {step} failed; an operator must act"),
    "incident.opened": (ERROR, None, "order {order_id}: incident {incident_id} opened"),
    "signature.rejected": (WARNING, "failure", "order {order_id}: signature refused ({signing_result})"),
    "signature.confirmed": (INFO, "success", "order {order_id}: signature accepted"),
}

_QUIET_UNCOUNTED = ("process.started", "step.completed")  # below INFO, and no metric counts them


def history_committed(order_id: str, entries, doc: dict | None = None) -> None:
    """Log and count the history entries just committed for one order. Never raises: the
    write has happened, and a fault here must not make it look failed."""
    try:
        _observe(order_id, entries, doc)
    except Exception:
        log.exception("metrics and log events of a history entry failed")


def _observe(order_id: str, entries, doc: dict | None) -> None:
    for entry in entries:
        action, detail = entry["action"], entry.get("detail") or {}
        level, outcome, template = _EVENTS.get(action, (INFO, None, "order {order_id}: " + action))
        if action in _QUIET_UNCOUNTED and not events.log.isEnabledFor(level):
            continue  # neither logged nor counted: not even its fields are worth reading
        values = _values(order_id, entry, detail)
        if action == "status":
            _status_changed(values)
            continue
        events.emit(level, action, template, outcome=outcome, **values)
        if action == "order.created" and doc is not None:
            metrics.ORDERS_CREATED.labels(company=doc["company"]).inc()
        elif action == "step.compensated":
            metrics.COMPENSATIONS.labels(step=values["step"], outcome=metrics.COMPENSATION_OK).inc()
        elif action == "step.compensation_failed":
            metrics.COMPENSATIONS.labels(step=values["step"], outcome="failed").inc()
        elif action.startswith("signature.") and values["signing_result"]:
            metrics.SIGNING_ATTEMPTS.labels(result=values["signing_result"]).inc()


def _values(order_id: str, entry: dict, detail: dict) -> dict:
    """The allow-listed values of an entry: ids, names, counts, codes; never its other detail
    (the buyer's data in a task's form, a cancel's free-text reason, the signing evidence)."""
    values = {"order_id": order_id, "actor": entry.get("actor"), "step": detail.get("step"),
              "handler": detail.get("handler"), "attempt": detail.get("attempt", detail.get("attempts")),
              "incident_id": detail.get("incident_id"), "error_code": detail.get("error_code"),
              "status_from": detail.get("from"), "status_to": detail.get("to", detail.get("status")),
              "signing_result": None}
    if entry["action"] == "signature.confirmed":
        values["signing_result"] = "accepted"
    elif entry["action"] == "signature.rejected" and _CODE.fullmatch(str(detail.get("reason"))):
        values["signing_result"] = detail["reason"]
    return {k: v if isinstance(v, (str, int)) else None for k, v in values.items()}


def _status_changed(values: dict) -> None:
    action = _ROLLBACK_STATUSES.get(values["status_to"], "order.status_changed")
    level = WARNING if action != "order.status_changed" else INFO
    events.emit(level, action, "order {order_id}: {status_from} -> {status_to}", **values)


def instrument_handlers(handlers: dict) -> dict:
    """The same handlers, each attempt timed by step and outcome; a retry counted and logged."""
    return {name: _attempt(name, handler) for name, handler in handlers.items()}


def model_loaded(model) -> None:
    """A parsed model (app.engine.ParsedModel) this process may run: its service tasks' series."""
    for spec in (model.spec, *model.subprocess_specs.values()):
        for task in spec.task_specs.values():
            if getattr(task, "operation_name", None):
                _zero_series(task.bpmn_id)


def _attempt(name: str, handler):
    @functools.wraps(handler)  # keeps its attributes (read_only)
    def attempt(call):
        step = call.step or name
        _zero_series(step)  # a model loaded elsewhere (a step of its own name) or a direct call
        if call.attempt > 1:
            metrics.STEP_RETRIES.labels(step=step).inc()
            events.emit(WARNING, "step.retry", "order {order_id}: step {step} retried (attempt {attempt})",
                        order_id=call.order_id, step=step, handler=name, attempt=call.attempt)
        outcome, started = "error", time.perf_counter()
        try:
            result = handler(call)
            outcome = metrics.STEP_OK
            return result
        except TransientError:
            outcome = "transient"
            raise
        except BusinessError:
            outcome = "business"
            raise
        finally:
            metrics.STEP_DURATION.labels(step=step, outcome=outcome).observe(time.perf_counter() - started)
    return attempt


_ZEROED: set[str] = set()


def _zero_series(step: str) -> None:
    if step in _ZEROED:
        return
    _ZEROED.add(step)
    for outcome in metrics.STEP_OUTCOMES:
        metrics.STEP_DURATION.labels(step=step, outcome=outcome)
    metrics.STEP_RETRIES.labels(step=step)
    for outcome in metrics.COMPENSATION_OUTCOMES:
        metrics.COMPENSATIONS.labels(step=step, outcome=outcome)


def dead_letter(order_key: bytes | None) -> None:
    """A message went to the dead-letter topic (the error travels with it, not in the log)."""
    metrics.DEAD_LETTERS.inc()
    order_id = order_key.decode("utf-8", "replace") if order_key else ""
    events.emit(ERROR, "message.dead_lettered",
                "dead letter: a command for order {order_id} went to the dead-letter topic",
                order_id=order_id)
