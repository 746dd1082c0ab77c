"""Read-only views of an instance: order status and per-step state for the diagram."""
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from . import compensation

# when a step ran more than once, the most telling state wins
_PRIORITY = ["compensation_failed", "compensating", "error", "running", "ready", "waiting",
             "compensated", "completed", "cancelled"]
_COMP_STATES = {"compensating": "compensating", "compensated": "compensated",
                "failed": "compensation_failed"}


def _prop(task, name="status"):
    return task.task_spec.extensions.get("properties", {}).get(name) \
        if hasattr(task.task_spec, "extensions") else None


def status(inst):
    tasks = list(inst._all_tasks())
    if inst.wf.is_completed():
        ends = [t for t in tasks if t.state == TaskState.COMPLETED and isinstance(t.task_spec, EndEvent)
                and _prop(t)]
        return _prop(max(ends, key=lambda t: t.last_state_change)) if ends else None
    undoing = compensating_status(inst)
    if undoing:
        return undoing
    for task in tasks:
        if task.state == TaskState.READY and task.task_spec.manual and _prop(task):
            return _prop(task)
    for task in tasks:
        if task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent) \
                and not isinstance(task.task_spec, BoundaryEvent) and _prop(task):
            return _prop(task)
    return None


def compensating_status(inst):
    """While a compensate throw waits for its handlers: that throw's `status` property
    (e.g. ROLLING_BACK, CANCELLING); the newest such throw wins."""
    throws = [t for t in compensation.active_throws(inst.wf) if _prop(t)]
    return _prop(max(throws, key=lambda t: t.last_state_change)) if throws else None


_TASK_STATES = {TaskState.COMPLETED: "completed", TaskState.STARTED: "running",
                TaskState.READY: "ready", TaskState.WAITING: "waiting",
                TaskState.CANCELLED: "cancelled", TaskState.ERROR: "error"}


def _task_state(task):
    comp = task.internal_data.get(compensation.COMP_KEY)
    if comp:
        return _COMP_STATES[comp]
    return _TASK_STATES.get(task.state)  # None: predicted, not reached


def step_states(inst) -> dict:
    states = {}
    for task in inst._all_tasks():
        step = getattr(task.task_spec, "bpmn_id", None)
        state = _task_state(task)
        if step is None or state is None:
            continue
        old = states.get(step)
        if old is None or _PRIORITY.index(state) < _PRIORITY.index(old):
            states[step] = state
    return states
