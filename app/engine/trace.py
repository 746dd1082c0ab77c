"""What a simulated run did: the trace of element events, counts, compensations, end events.

A Recorder looks at the instance's tasks after every action and records what changed since
the last look (completions, interruptions), oldest first. It reads only task states, so any
construct the engine runs shows up without the recorder knowing about it, with one exception:
a multi-instance activity is recorded through its instances (each one completes, is counted
and is cancelled on its own); the engine's task that holds them is bookkeeping.
"""
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from . import compensation

_ACTIVE = (TaskState.READY, TaskState.STARTED, TaskState.WAITING)
# cancelled as a matter of course: a boundary event when its activity ends, a join's waiting
# branch when the join fires; an interrupted activity or catch event is worth telling
_BOOKKEEPING = (BoundaryEvent, Join)


def _recorded(task) -> bool:
    """Tasks of BPMN elements, except the body of a multi-instance activity (its instances are
    recorded); the engine's own bookkeeping tasks have no BPMN id."""
    spec = task.task_spec
    return getattr(spec, "bpmn_id", None) is not None and not isinstance(spec, LoopTask)


class Recorder:
    def __init__(self, inst, element_types: dict):
        self.inst = inst
        self.element_types = element_types     # (scope id, element id) or element id -> BPMN type
        self.trace: list[dict] = []
        self.counts: dict[str, int] = {}
        self.compensations: list[str] = []
        self.end_events: list[str] = []
        self._seen: dict = {}                   # task id -> state at the last look

    def element_type(self, task) -> str:
        spec = task.task_spec
        return (self.element_types.get((task.workflow.spec.name, spec.bpmn_id))
                or self.element_types.get(spec.bpmn_id) or type(spec).__name__)

    def event(self, task_or_id, event: str, element_type: str | None = None) -> None:
        if isinstance(task_or_id, str):
            element_id = task_or_id
        else:
            element_id, element_type = task_or_id.task_spec.bpmn_id, self.element_type(task_or_id)
        self.trace.append({"seq": len(self.trace) + 1, "element_id": element_id,
                           "element_type": element_type or self.element_types.get(element_id),
                           "event": event})

    def look(self) -> int:
        """Record what changed since the last look; the number of new events."""
        changed = []
        for task in self.inst._all_tasks():
            if not _recorded(task):
                continue
            before, now = self._seen.get(task.id), task.state
            self._seen[task.id] = now
            if now == TaskState.COMPLETED and before != TaskState.COMPLETED:
                changed.append(("completed", task))
            elif now == TaskState.CANCELLED and before in _ACTIVE \
                    and not isinstance(task.task_spec, _BOOKKEEPING):
                changed.append(("cancelled", task))
        changed.sort(key=lambda item: item[1].last_state_change)
        for event, task in changed:
            self.event(task, event)
            if event == "completed":
                self._completed(task)
        return len(changed)

    def _completed(self, task) -> None:
        element_id = task.task_spec.bpmn_id
        self.counts[element_id] = self.counts.get(element_id, 0) + 1
        if compensation.is_handler_task(task) or compensation.is_compensation_event_subprocess(task):
            self.compensations.append(element_id)
        if isinstance(task.task_spec, EndEvent):
            self.end_events.append(element_id)

    def waiting(self) -> list[dict]:
        """Where the instance waits: user tasks, catch events, service calls held (incidents),
        compensations in progress."""
        found = []
        for task in self.inst._all_tasks():
            spec = task.task_spec
            if not _recorded(task):
                continue
            if (task.state == TaskState.READY and spec.manual) \
                    or (task.state == TaskState.STARTED and not isinstance(spec, SubWorkflowTask)) \
                    or (task.state == TaskState.WAITING and isinstance(spec, CatchingEvent)
                        and not isinstance(spec, BoundaryEvent)):
                found.append({"element_id": spec.bpmn_id, "element_type": self.element_type(task)})
        return found
