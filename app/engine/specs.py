"""Task specs that extend SpiffWorkflow 3.2.0's spiff flavour.

- DeferredServiceTask: a service task that stays STARTED until the worker reports back.
- EscrowStartTask / EscrowEndJoin: a scope's own start and end. Event sub-processes are wired
  here at parse time (3.2.0 wires message ones at run time, into the shared spec), and the end
  does not wait for event sub-processes whose event never came.
- EscrowStartEvent / EscrowEventSubprocess: event sub-processes at every level; an interrupting
  one cancels the rest of its scope and, when it ends, ends the scope.
- EscrowBoundaryEvent: a non-interrupting boundary event stays armed while its activity runs.
- CompensateThrowEvent / CompensateEndEvent / CancelEndEvent: compensation, and a transaction's
  cancel end event (compensate the transaction, then leave it through its cancel boundary).
"""
from datetime import datetime, timezone

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, BpmnStartTask, _EndJoin
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent, IntermediateThrowEvent, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.simple import CancelEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent as EndEventMixin
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.spiff.specs.defaults import EventSubprocess, ServiceTask
from SpiffWorkflow.util.task import TaskIterator, TaskState

from . import compensation, scopes
from .events import (
    CompensateEventDefinition, EscrowConditionalEventDefinition, EscrowCycleTimer,
)


class DeferredServiceTask(ServiceTask):
    """Never calls the script engine: the task stays STARTED and the worker runs the handler."""

    def _execute(self, task):
        return None


# --- a scope's start and end ----------------------------------------------------------------

class EscrowStartTask(BpmnStartTask):
    """Start of a (sub-)process. Event sub-processes waiting on a timer or a condition start
    with the scope (dormant until their event); message, signal, error and escalation ones are
    started by `scopes` when their event comes; the compensation one when the scope, completed,
    is compensated."""

    compensation_subprocess = None

    def connect_or_add_trigger(self, task_spec, sp_spec):
        task_spec._inputs = [self.name]         # TaskSpec.test() wants an input; never a flow
        definition = scopes.start_event_spec(sp_spec).event_definition
        if isinstance(definition, CompensateEventDefinition):
            self.compensation_subprocess = task_spec.name
        elif isinstance(definition, (TimerEventDefinition, EscrowConditionalEventDefinition)):
            self._outputs.append(task_spec.name)
        else:
            self.trigger_specs.append(task_spec.name)


class EscrowEndJoin(_EndJoin):
    """Waits for every token of the scope, except event sub-processes still waiting for their
    event (those are cancelled when the scope ends)."""

    def _check_threshold_unstructured(self, my_task):
        top = my_task.workflow.top_workflow
        for task in TaskIterator(my_task.workflow.task_tree, state=TaskState.NOT_FINISHED_MASK,
                                 end_at_spec=self.name):
            if task != my_task and not scopes.is_dormant(top, task):
                return False
        return True

    def _run_hook(self, my_task):
        top = my_task.workflow.top_workflow
        for task in my_task.workflow.task_tree.children:
            if not task.has_state(TaskState.FINISHED_MASK) and scopes.is_dormant(top, task):
                task.cancel()
        return super()._run_hook(my_task)


# --- event sub-processes --------------------------------------------------------------------

class EscrowStartEvent(StartEvent):
    """A start event; in an interrupting event sub-process it cancels the rest of its parent scope."""

    def __init__(self, wf_spec, bpmn_id, event_definition, interrupting=False, **kwargs):
        super().__init__(wf_spec, bpmn_id, event_definition, **kwargs)
        self.interrupting = interrupting

    def _run_hook(self, my_task):
        if self.interrupting:
            scopes.interrupt_parent_scope(my_task)
        elif isinstance(self.event_definition, EscrowCycleTimer):
            scopes.rearm_event_subprocess(my_task, EscrowCycleTimer.next_occurrence(my_task))
        return super()._run_hook(my_task)


class EscrowEventSubprocess(EventSubprocess):
    """Starts with the current data of its scope (3.2.0: the data the scope started with).
    An interrupting one ends its scope when it completes, as BPMN 2.0.2 (13.5) says."""

    def start_workflow(self, my_task):
        my_task.data = scopes.scope_data(my_task.workflow)
        super().start_workflow(my_task)

    def _on_complete_hook(self, my_task):
        super()._on_complete_hook(my_task)
        sub = my_task.workflow.top_workflow.subprocesses.get(my_task.id)
        start = scopes.start_event_spec(sub.spec) if sub is not None else None
        if getattr(start, "interrupting", False):
            my_task.workflow._mark_complete(my_task)


# --- boundary events ------------------------------------------------------------------------

class EscrowBoundaryEventJoin(BoundaryEventJoin):
    """3.2.0's, except that an interrupted multi-instance activity's running instances are
    cancelled (not dropped from the tree with their sub-processes)."""

    def _check_threshold_structured(self, my_task):
        finished, cancel = super()._check_threshold_structured(my_task)
        if finished:
            for task in cancel:
                scopes.cancel_instances(task)
        return finished, cancel


class EscrowBoundaryEvent(BoundaryEvent):
    """A non-interrupting boundary event fires each time its event comes while the activity runs
    (a timer cycle: each occurrence); 3.2.0 fires it once."""

    def _run_hook(self, my_task):
        if not self.cancel_activity:
            self._rearm(my_task)
        return super()._run_hook(my_task)

    def _rearm(self, fired):
        split = fired.parent
        main = next(t for t in split.children if not isinstance(t.task_spec, BoundaryEvent))
        if main.has_state(TaskState.FINISHED_MASK):
            return
        definition = self.event_definition
        if isinstance(definition, EscrowCycleTimer):
            internal = EscrowCycleTimer.next_occurrence(fired)
        elif isinstance(definition, TimerEventDefinition):
            internal = None                  # a date or a duration comes once
        elif isinstance(definition, EscrowConditionalEventDefinition):
            internal = {"condition_held": True}   # fires again after it was false
        else:
            internal = {}
        if internal is None:
            return
        again = split._add_child(self, TaskState.WAITING)
        again.triggered = True
        again.internal_data.update(internal)
        self._predict(again, mask=TaskState.NOT_FINISHED_MASK)
        self._update(again)


# --- compensation and cancellation ----------------------------------------------------------

class _CompensateThrowMixin:
    def _run_hook(self, my_task):
        TaskSpec._run_hook(self, my_task)
        done = compensation.begin(my_task, self.event_definition.activity_ref)
        # STARTED (None) until the handlers are through, unless waitForCompletion="false"
        return True if done or not self.event_definition.wait_for_completion else None


class CompensateThrowEvent(_CompensateThrowMixin, IntermediateThrowEvent):
    pass


class CompensateEndEvent(_CompensateThrowMixin, EndEvent):
    pass


class CancelEndEvent(EndEvent):
    """Cancel end event of a transaction (BPMN 2.0.2, 10.3 and 13.5.6): the transaction's other work is
    cancelled, its completed activities are compensated (newest first), then the transaction is
    left through its cancel boundary event. In a multi-instance transaction the boundary cancels
    every instance, so every instance is compensated (as Flowable's testMultiInstanceTx)."""

    def _run_hook(self, my_task):
        TaskSpec._run_hook(self, my_task)
        scopes.cancel_rest_of_scope(my_task)
        siblings = scopes.cancel_sibling_instances(self._transaction(my_task))
        return True if compensation.begin(my_task, also=siblings) else None

    @staticmethod
    def _transaction(my_task):
        return my_task.workflow.top_workflow.get_task_from_id(my_task.workflow.parent_task_id)

    def _on_complete_hook(self, my_task):       # after compensation (see compensation.drive)
        if scopes.propagate(BpmnEvent(CancelEventDefinition()), self._transaction(my_task)):
            # the boundary event cancels the transaction; 3.2.0's end event would complete it first
            super(EndEventMixin, self)._on_complete_hook(my_task)
        else:
            super()._on_complete_hook(my_task)


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)
