"""Task specs and event definitions that extend SpiffWorkflow 3.2.0's spiff flavour.

- DeferredServiceTask: a service task that stays STARTED until the worker reports back.
- EscrowStartEvent: start event that knows whether it interrupts its parent scope (event sub-processes).
- CompensateThrowEvent / CompensateEndEvent + CompensateEventDefinition: compensation (3.2.0 has none).
- Message / error / timer definitions: payload into task data, errors targeted at the throwing
  workflow, timers evaluated against the time the facade injects (``workflow.now``).
"""
from datetime import datetime, timezone

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.defaults import (
    EndEvent, IntermediateThrowEvent, StartEvent,
)
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition, TimeDateEventDefinition, TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess as EventSubprocessMixin
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.spiff.specs.event_definitions import (
    ErrorEventDefinition as SpiffErrorEventDefinition,
    MessageEventDefinition as SpiffMessageEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from . import compensation

ERROR_DATA_KEY = "bpmn_error"


class DeferredServiceTask(ServiceTask):
    """Never calls the script engine: the task stays STARTED and the worker runs the handler."""

    def _execute(self, task):
        return None


class EscrowStartEvent(StartEvent):
    """A start event; in an interrupting event sub-process it cancels the rest of its parent scope."""

    def __init__(self, wf_spec, bpmn_id, event_definition, interrupting=False, **kwargs):
        super().__init__(wf_spec, bpmn_id, event_definition, **kwargs)
        self.interrupting = interrupting

    def _run_hook(self, my_task):
        if self.interrupting:
            interrupt_parent_scope(my_task)
        return super()._run_hook(my_task)


def interrupt_parent_scope(my_task):
    """Cancel every unfinished task of the scope the event sub-process belongs to.

    Running (already triggered) event sub-processes are left alone, so a cancel arriving during
    a rollback does not cut the rollback short."""
    sub = my_task.workflow
    if sub.parent_task_id is None:
        return
    top = sub.top_workflow
    es_task = top.get_task_from_id(sub.parent_task_id)
    scope = es_task.workflow
    for task in list(scope.tasks.values()):
        if task is es_task or task.id not in scope.tasks or task.has_state(TaskState.FINISHED_MASK):
            continue
        if task.parent is es_task:            # the event sub-process' own join towards the end
            continue
        if isinstance(task.task_spec, EventSubprocessMixin) and _is_running(top, task):
            continue
        if compensation.is_handler_task(task):   # a rollback in progress finishes
            continue
        task.cancel()


def _is_running(top, es_task):
    sub = top.subprocesses.get(es_task.id)
    if sub is None:
        return False
    return any(t.task_spec.__class__ is EscrowStartEvent and t.state == TaskState.COMPLETED
               for t in sub.tasks.values())


# --- compensation ---------------------------------------------------------------------------

class CompensateEventDefinition(EventDefinition):
    """compensateEventDefinition on a throw/end event: activity_ref None means the whole scope."""

    def __init__(self, name=None, activity_ref=None, wait_for_completion=True, description=None):
        super().__init__(name, description)
        self.activity_ref = activity_ref
        self.wait_for_completion = wait_for_completion

    def throw(self, my_task):   # compensation is driven by the throwing spec, not by events
        pass


class _CompensateThrowMixin:
    def _run_hook(self, my_task):
        TaskSpec._run_hook(self, my_task)
        done = compensation.begin(my_task, self.event_definition)
        # STARTED (None) until the handlers are through, unless waitForCompletion="false"
        return True if done or not self.event_definition.wait_for_completion else None


class CompensateThrowEvent(_CompensateThrowMixin, IntermediateThrowEvent):
    pass


class CompensateEndEvent(_CompensateThrowMixin, EndEvent):
    pass


# --- messages and errors --------------------------------------------------------------------

class EscrowMessageEventDefinition(SpiffMessageEventDefinition):
    """The payload lands in the catching task's data under spiffworkflow:messageVariable, or
    under the message name when the model declares no variable."""

    def update_task_data(self, my_task):
        payload = my_task.internal_data.pop(self.name, None)
        my_task.data[self.message_var or self.name] = payload


class EscrowErrorEventDefinition(SpiffErrorEventDefinition):
    """BPMN error; the payload ({code, message, step, and payload: the value of the error's
    payloadExpression when it has one}) lands in task data under `bpmn_error`
    (or the declared variable). Thrown towards the throwing workflow, then bubbles up."""

    def catch(self, my_task, event=None):
        my_task.internal_data[ERROR_DATA_KEY] = event.payload if event is not None else None
        my_task._set_internal_data(event_fired=True)

    def update_task_data(self, my_task):
        my_task.data[self.variable or ERROR_DATA_KEY] = my_task.internal_data.pop(ERROR_DATA_KEY, None)

    def reset(self, my_task):
        my_task.internal_data.pop(ERROR_DATA_KEY, None)
        my_task._set_internal_data(event_fired=False)

    def throw(self, my_task):
        payload = {"code": self.code, "message": self.name, "step": my_task.task_spec.bpmn_id}
        if self.expression is not None:     # the bpmn:error's spiffworkflow:payloadExpression
            payload["payload"] = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        my_task.workflow.top_workflow.catch(BpmnEvent(self, payload=payload, target=my_task.workflow))


# --- timers ---------------------------------------------------------------------------------

from .script_env import ISO_CHECK as ISO_LITERAL


def current_time(my_task):
    """The time injected by Instance.advance(now); None outside advance (timers then wait)."""
    return getattr(my_task.workflow.top_workflow, "now", None)


def timer_value(my_task, expression):
    """Timer expressions are Python, but a bare ISO literal (PT5M) is accepted as itself."""
    expr = expression.strip()
    if ISO_LITERAL.match(expr):
        return expr
    value = my_task.workflow.script_engine.evaluate(my_task, expr)
    return value.isoformat() if isinstance(value, datetime) else str(value)


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
        parsed = TimerEventDefinition.parse_iso_duration(timer_value(my_task, self.expression))
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)


class EscrowTimeDateTimer(_DueOnce, TimeDateEventDefinition):
    def due_time(self, my_task, now):
        return TimerEventDefinition.get_datetime(timer_value(my_task, self.expression))


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


UPGRADES = {
    SpiffMessageEventDefinition: EscrowMessageEventDefinition,
    SpiffErrorEventDefinition: EscrowErrorEventDefinition,
    DurationTimerEventDefinition: EscrowDurationTimer,
    TimeDateEventDefinition: EscrowTimeDateTimer,
}


def upgrade(definition):
    """Swap a stock event definition for ours (same attributes, our behaviour)."""
    cls = UPGRADES.get(type(definition))
    if cls is not None:
        definition.__class__ = cls
    return definition
