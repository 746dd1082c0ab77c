"""Event definitions: SpiffWorkflow 3.2.0's, with our behaviour where theirs does not fit.

The parser creates stock definitions; `upgrade` swaps each for ours (same attributes):
- messages and signals: the payload lands in the catching task's data under the declared
  variable, or under the message/signal name;
- errors and escalations: thrown at the throwing task and propagated up its scopes (`scopes`),
  innermost catcher first; the payload ({code, message, step[, payload]}) lands under
  `bpmn_error` / `bpmn_escalation` (or the declared variable);
- timers (date, duration, cycle) are judged against the time the facade injects
  (``workflow.now``), never the wall clock;
- conditional events evaluate their condition on the current data of their scope;
- compensation is driven by the throwing spec (`compensation`), not by events.
"""
import re
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.specs.event_definitions import (
    ErrorEventDefinition as SpiffErrorEventDefinition,
    EscalationEventDefinition as SpiffEscalationEventDefinition,
    MessageEventDefinition as SpiffMessageEventDefinition,
    SignalEventDefinition as SpiffSignalEventDefinition,
)

from .script_env import ISO_CHECK as ISO_LITERAL

REPEATING = re.compile(r"^R\d*/")   # R3/PT1H, R/PT5M: a cycle literal, not an expression
ERROR_DATA_KEY = "bpmn_error"
ESCALATION_DATA_KEY = "bpmn_escalation"


class CompensateEventDefinition(EventDefinition):
    """compensateEventDefinition on a throw/end event (activity_ref None: the whole scope), or
    on the start event of a compensation event sub-process (which fires as soon as it runs)."""

    def __init__(self, name=None, activity_ref=None, wait_for_completion=True, description=None):
        super().__init__(name, description)
        self.activity_ref = activity_ref
        self.wait_for_completion = wait_for_completion

    def throw(self, my_task):   # compensation is driven by the throwing spec, not by events
        pass

    def has_fired(self, my_task):   # a compensation start event: its sub-process was started for it
        return True


class EscrowMessageEventDefinition(SpiffMessageEventDefinition):
    """The payload lands in the catching task's data under spiffworkflow:messageVariable, or
    under the message name when the model declares no variable."""

    def update_task_data(self, my_task):
        payload = my_task.internal_data.pop(self.name, None)
        my_task.data[self.message_var or self.name] = payload


class EscrowSignalEventDefinition(SpiffSignalEventDefinition):
    """Broadcast to every catcher of the instance; the payload (spiffworkflow:payloadExpression)
    lands under the declared variable, or under the signal name when there is a payload."""

    def update_task_data(self, my_task):
        payload = my_task.internal_data.pop(self.name, None)
        if self.variable is not None or payload is not None:
            my_task.data[self.variable or self.name] = payload


class _ScopedCodeEvent:
    """Errors and escalations: thrown at a task, caught by the innermost enclosing catcher."""

    data_key = None

    def payload(self, my_task, message=None):
        payload = {"code": self.code, "message": message if message is not None else self.name,
                   "step": my_task.task_spec.bpmn_id}
        if self.expression is not None:     # spiffworkflow:payloadExpression on bpmn:error/escalation
            payload["payload"] = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        return payload

    def catch(self, my_task, event=None):
        my_task.internal_data[self.data_key] = event.payload if event is not None else None
        my_task._set_internal_data(event_fired=True)

    def update_task_data(self, my_task):
        my_task.data[self.variable or self.data_key] = my_task.internal_data.pop(self.data_key, None)

    def reset(self, my_task):
        my_task.internal_data.pop(self.data_key, None)
        my_task._set_internal_data(event_fired=False)

    def throw(self, my_task):
        from . import scopes
        scopes.propagate(BpmnEvent(self, payload=self.payload(my_task)), my_task)


class EscrowErrorEventDefinition(_ScopedCodeEvent, SpiffErrorEventDefinition):
    data_key = ERROR_DATA_KEY


class EscrowEscalationEventDefinition(_ScopedCodeEvent, SpiffEscalationEventDefinition):
    data_key = ESCALATION_DATA_KEY


class EscrowTerminateEventDefinition(TerminateEventDefinition):
    """The end event itself cancels its (sub-)process; nothing needs to catch anything."""

    def throw(self, my_task):
        pass


# --- timers ---------------------------------------------------------------------------------

def current_time(my_task):
    """The time injected by Instance.advance(now); None outside advance (timers then wait)."""
    return getattr(my_task.workflow.top_workflow, "now", None)


def timer_value(my_task, expression):
    """Timer expressions are Python, but a bare ISO literal (PT5M) is accepted as itself."""
    expr = expression.strip()
    if ISO_LITERAL.match(expr) or REPEATING.match(expr):
        return expr
    value = my_task.workflow.script_engine.evaluate(my_task, expr)
    return value.isoformat() if isinstance(value, datetime) else str(value)


def duration_from(expression, start):
    return TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(expression), start)


class _DueOnce:
    """A timer judged against the worker's clock: its due time is computed once, when first
    asked, and kept in the task (so it survives a dump/load), then compared with `now`."""

    def has_fired(self, my_task):
        if my_task._get_internal_data("event_fired", False):
            return True
        now = current_time(my_task)
        if now is None:
            return False
        due = my_task._get_internal_data("event_value")
        if due is None:
            due = self.due_time(my_task, now).isoformat()
            my_task._set_internal_data(event_value=due)
        if TimerEventDefinition.get_datetime(due) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class EscrowDurationTimer(_DueOnce, DurationTimerEventDefinition):
    def due_time(self, my_task, now):
        return now + duration_from(timer_value(my_task, self.expression), now)


class EscrowTimeDateTimer(_DueOnce, TimeDateEventDefinition):
    def due_time(self, my_task, now):
        return TimerEventDefinition.get_datetime(timer_value(my_task, self.expression))


class EscrowCycleTimer(_DueOnce, TimerEventDefinition):
    """timeCycle (ISO 8601 repeating interval: R3/PT1H, R/PT10M, R2/2024-05-01T09:00Z/P1D).

    Each waiting task waits for one occurrence. A non-interrupting boundary event re-arms
    itself for the next one (`next_occurrence`), as Camunda 7 does; an interrupting one fires
    once. The occurrence state lives in the task: `event_value` (due) and `cycle` (how many
    are left after this one, -1 for unbounded, and the period in seconds)."""

    def due_time(self, my_task, now):
        cycles, first, period = parse_cycle(timer_value(my_task, self.expression), now)
        my_task.internal_data["cycle"] = {"left": cycles - 1 if cycles > 0 else -1,
                                          "period": period.total_seconds()}
        return first

    @staticmethod
    def next_occurrence(fired_task) -> dict | None:
        """Internal data of the re-armed task, or None when the cycle is exhausted."""
        cycle = fired_task.internal_data.get("cycle")
        due = fired_task.internal_data.get("event_value")
        if cycle is None or due is None or cycle["left"] == 0:
            return None
        following = TimerEventDefinition.get_datetime(due) + timedelta(seconds=cycle["period"])
        left = cycle["left"] - 1 if cycle["left"] > 0 else -1
        return {"event_value": following.isoformat(), "cycle": {"left": left, "period": cycle["period"]}}


def parse_cycle(expression, now):
    """(repetitions or -1, first due time, period) of an ISO 8601 repeating interval."""
    parts = expression.strip().upper().split("/")
    if len(parts) not in (2, 3) or not parts[0].startswith("R"):
        raise ValueError(f"not a repeating interval: {expression!r}")
    cycles = int(parts[0][1:]) if parts[0][1:] else -1
    if len(parts) == 2:                              # R3/PT1H: first occurrence one period from now
        period = duration_from(parts[1], now)
        return cycles, now + period, period
    if parts[1].startswith("P"):                     # R3/PT1H/<end>: the last occurrence is the end
        end = TimerEventDefinition.get_datetime(parts[2])
        period = duration_from(parts[1], now)
        first = end - period * (cycles - 1) if cycles > 0 else end
        return cycles, first, period
    start = TimerEventDefinition.get_datetime(parts[1])    # R3/<start>/PT1H
    return cycles, start, duration_from(parts[2], start)


# --- conditions -----------------------------------------------------------------------------

class EscrowConditionalEventDefinition(ConditionalEventDefinition):
    """Fires when its condition holds on the scope's current data (the task's own data updated
    with the data of the newest completed task of its (sub-)process). A re-armed
    (non-interrupting) event fires again only after the condition was false in between."""

    def has_fired(self, my_task):
        if my_task._get_internal_data("event_fired", False):
            return True
        data = dict(my_task.data)
        last = my_task.workflow.last_task
        if last is not None:
            data.update(last.data)
        try:    # the scope's data wins over the task's own (older) data: not script_engine.evaluate
            holds = bool(my_task.workflow.script_engine.environment.evaluate(self.expression, data))
        except Exception as exc:
            raise WorkflowTaskException(f"Error evaluating condition '{self.expression}'", task=my_task,
                                        exception=exc) from exc
        was = my_task.internal_data.get("condition_held", False)
        my_task.internal_data["condition_held"] = holds
        if holds and not was:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)

    def reset(self, my_task):
        my_task._set_internal_data(event_fired=False)


UPGRADES = {
    SpiffMessageEventDefinition: EscrowMessageEventDefinition,
    SpiffSignalEventDefinition: EscrowSignalEventDefinition,
    SpiffErrorEventDefinition: EscrowErrorEventDefinition,
    SpiffEscalationEventDefinition: EscrowEscalationEventDefinition,
    TerminateEventDefinition: EscrowTerminateEventDefinition,
    DurationTimerEventDefinition: EscrowDurationTimer,
    TimeDateEventDefinition: EscrowTimeDateTimer,
    CycleTimerEventDefinition: EscrowCycleTimer,
    ConditionalEventDefinition: EscrowConditionalEventDefinition,
}


def upgrade(definition):
    """Swap a stock event definition for ours (same attributes, our behaviour)."""
    cls = UPGRADES.get(type(definition))
    if cls is not None:
        definition.__class__ = cls
    for inner in getattr(definition, "event_definitions", ()):   # event-based gateway, multiple
        upgrade(inner)
    return definition
