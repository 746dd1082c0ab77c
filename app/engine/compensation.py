"""Compensation for SpiffWorkflow 3.2.0 (BPMN 2.0.2 10.7 and 13.5.5; Camunda 7 where it is silent).

The parser records on each compensable activity spec (for a multi-instance activity: on its
instance spec) the handler spec that undoes it (``extensions['compensationHandler']``); handler
specs are out of the normal flow. A sub-process may instead hold a compensation event
sub-process (``spec.start.compensation_subprocess``).

When a compensate throw/end event (or a transaction's cancel end event) runs, `begin` queues
the units to compensate in its scope (for a throw inside an event sub-process: the scope that
event sub-process belongs to), newest completion first, in the throw task's internal data.
`drive` (called by EscrowWorkflow after every engine step) works the queue one unit at a time,
so handlers run one at a time, in reverse completion order:
- HANDLER: an activity with a compensation handler; the handler becomes a real task, a child of
  the activity, saved and restored with the workflow like any other task;
- EVENT_SUBPROCESS: a completed sub-process with a compensation event sub-process; that runs
  inside it, with the data the sub-process had when it completed ("snapshot data");
- INNER: any other sub-process (the default handler): its own units, newest first; also a
  sub-process that was cancelled (13.5.5: cancellation compensates the completed part of a
  scope);
- INSTANCES: a multi-instance activity: its instances, newest completion first.
Activities still running are not compensated (13.5.5; Camunda 7 waits for the multi-instance
body likewise), nor is an activityRef naming an activity that did not complete.

Activity state lives in the activity task's internal data under COMP_KEY:
'compensating' | 'compensated' | 'failed'. An activity with that key is never collected again.
"""
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import (
    EventSubprocess as EventSubprocessMixin, SubWorkflowTask as SubWorkflowMixin,
)
from SpiffWorkflow.util.task import TaskState

COMP_KEY = "compensation"
QUEUE_KEY = "compensation_queue"
FAILED_KEY = "failed"
HANDLER_EXT = "compensationHandler"
FOR_EXT = "compensationFor"

HANDLER, EVENT_SUBPROCESS, INNER, INSTANCES = "handler", "event_subprocess", "inner", "instances"


def handler_name(spec):
    ext = getattr(spec, "extensions", None)
    return ext.get(HANDLER_EXT) if ext else None


def compensated_activity(spec):
    """For a handler spec: the element id of the activity it compensates, else None."""
    ext = getattr(spec, "extensions", None)
    return ext.get(FOR_EXT) if ext else None


def is_handler_task(task) -> bool:
    return compensated_activity(task.task_spec) is not None


def is_compensation_event_subprocess(task) -> bool:
    """A run of a sub-process' compensation event sub-process (its handler, 10.7)."""
    return isinstance(task.task_spec, EventSubprocessMixin) and \
        getattr(task.workflow.spec.start, "compensation_subprocess", None) == task.task_spec.name


def is_scope(spec):
    return isinstance(spec, SubWorkflowMixin) and not isinstance(spec, EventSubprocessMixin)


def is_instance(task):
    """A multi-instance activity's instance (compensated through its multi-instance body)."""
    parent = task.parent
    return parent is not None and isinstance(parent.task_spec, MultiInstanceTask) \
        and task.task_spec.name == parent.task_spec.task_spec


def instance_path(task) -> str | None:
    """Which multi-instance instances `task` runs in (its own, or its sub-process'), outermost
    first: "2", "0/1"; None outside multi-instance activities. A handler belongs to the instance
    it compensates."""
    top, keys = task.workflow.top_workflow, []
    while task is not None:
        for t in (task, task.parent):      # the instance itself, or the activity a handler undoes
            if t is not None and is_instance(t):
                keys.append(str(t.internal_data.get("key_or_index", t.internal_data.get("item"))))
                break
        wf = task.workflow
        task = top.get_task_from_id(wf.parent_task_id) if wf.parent_task_id is not None else None
    return "/".join(reversed(keys)) or None


def scope_of(throw_task):
    wf = throw_task.workflow
    if wf.parent_task_id is not None:
        parent = wf.top_workflow.get_task_from_id(wf.parent_task_id)
        if isinstance(parent.task_spec, EventSubprocessMixin):
            return parent.workflow
    return wf


# --- what there is to compensate ------------------------------------------------------------

def unit_kind(task, whole_scope=True):
    """How `task` is compensated, or None when there is nothing (more) to undo."""
    if COMP_KEY in task.internal_data:
        return None
    completed = task.state == TaskState.COMPLETED
    if not completed and not (whole_scope and task.state == TaskState.CANCELLED):
        return None
    spec = task.task_spec
    if completed and handler_name(spec):
        return HANDLER
    if isinstance(spec, MultiInstanceTask):
        return INSTANCES if instance_units(task) else None
    sub = task.workflow.top_workflow.subprocesses.get(task.id) if is_scope(spec) else None
    if sub is None:
        return None
    if completed and getattr(sub.spec.start, "compensation_subprocess", None):
        return EVENT_SUBPROCESS
    return INNER if units_of(sub) else None


def units_of(workflow, activity_ref=None):
    """[(task, kind)] to compensate in a (sub-)process, newest completion first."""
    whole = activity_ref is None
    found = []
    for task in workflow.tasks.values():
        if is_instance(task) or is_handler_task(task):
            continue
        if not whole and getattr(task.task_spec, "bpmn_id", None) != activity_ref:
            continue
        kind = unit_kind(task, whole)
        if kind is not None:
            found.append((task, kind))
    return _newest_first(found, workflow)


def instance_units(mi_task):
    found = [(t, k) for t in mi_task.children if is_instance(t) and (k := unit_kind(t)) is not None]
    return _newest_first(found, mi_task.workflow)


def _newest_first(units, workflow):
    # ties (same clock tick) broken by position in the tree: later in the flow is newer
    order = {task.id: i for i, task in enumerate(_preorder(workflow.task_tree))}
    units.sort(key=lambda unit: (_done_at(*unit), order.get(unit[0].id, 0)), reverse=True)
    return units


def _done_at(task, kind):
    """When the unit's work ended: its completion, or for a cancelled scope, its newest part."""
    if task.state == TaskState.COMPLETED:
        return task.last_state_change
    inner = instance_units(task) if kind == INSTANCES else \
        units_of(task.workflow.top_workflow.subprocesses[task.id])
    return max(_done_at(*unit) for unit in inner)


def _preorder(root):
    stack = [root]
    while stack:
        task = stack.pop()
        yield task
        stack.extend(reversed(task.children))


# --- running it -----------------------------------------------------------------------------

def begin(throw_task, activity_ref=None, also=()) -> bool:
    """Start compensating; True when there is nothing (left) to do. `also`: activities outside
    the scope to compensate with it (the other instances of a cancelled multi-instance
    transaction).

    Activities already queued by a compensation in progress (e.g. a rollback running when a
    cancel arrives) are left to it, so handlers still run one at a time and once each."""
    claimed = _claimed(throw_task.workflow.top_workflow)
    scope = scope_of(throw_task)
    units = units_of(scope, activity_ref) + [(t, k) for t in also if (k := unit_kind(t)) is not None]
    queue = [{"a": str(t.id), "k": kind} for t, kind in _newest_first(units, scope)
             if str(t.id) not in claimed]
    if not queue:
        return True
    throw_task.internal_data[QUEUE_KEY] = queue
    drive(throw_task)
    return QUEUE_KEY not in throw_task.internal_data


def drive(throw_task) -> bool:
    """Advance one throw's queue as far as possible; True if anything changed."""
    queue = throw_task.internal_data.get(QUEUE_KEY)
    if queue is None:
        return False
    top = throw_task.workflow.top_workflow
    changed = False
    while queue:
        entry = queue[0]
        activity = top.get_task_from_id(UUID(entry["a"]))
        if "h" in entry and top.get_task_from_id(UUID(entry["h"])).state != TaskState.COMPLETED:
            return changed                      # still running, or failed and parked
        changed = True
        if "h" in entry or entry.get("done"):
            _finish(activity, entry["k"])
            queue.pop(0)
        elif COMP_KEY in activity.internal_data:  # taken over meanwhile: never twice
            queue.pop(0)
        else:
            queue[0:1] = _start(activity, entry)
    del throw_task.internal_data[QUEUE_KEY]
    if throw_task.state == TaskState.STARTED:
        throw_task.complete()
    return True


def _start(activity, entry) -> list:
    """Begin compensating one unit; the queue entries that replace its entry."""
    kind = entry["k"]
    activity.internal_data[COMP_KEY] = "compensating"
    if kind == HANDLER:
        return [{**entry, "h": str(_start_handler(activity).id)}]
    if kind == INSTANCES:
        inner = instance_units(activity)
    else:
        sub = activity.workflow.top_workflow.subprocesses[activity.id]
        sub.completed = False       # reopen it so tasks run inside without re-completing it
        if kind == EVENT_SUBPROCESS:
            return [{**entry, "h": str(_start_event_subprocess(sub).id)}]
        inner = units_of(sub)
    return [{"a": str(t.id), "k": k} for t, k in inner] + [{**entry, "done": True}]


def _finish(activity, kind):
    activity.internal_data[COMP_KEY] = "compensated"
    if kind in (INNER, EVENT_SUBPROCESS):
        activity.workflow.top_workflow.subprocesses[activity.id].completed = True


def _start_handler(activity):
    spec = activity.workflow.spec.task_specs[handler_name(activity.task_spec)]
    handler = activity._add_child(spec, TaskState.FUTURE)
    handler.triggered = True
    spec._update(handler)       # inherits the activity's data, becomes READY
    if handler.state == TaskState.READY and not spec.manual:
        handler.run()           # deferred service task -> STARTED; script/none -> COMPLETED
    return handler


def _start_event_subprocess(sub):
    from . import scopes
    es_spec = sub.spec.task_specs[sub.spec.start.compensation_subprocess]
    start = scopes.start_event_spec(sub.top_workflow.subprocess_specs[es_spec.spec])
    return scopes.trigger(sub, es_spec, start)


def active_throws(top):
    """Throw tasks with a compensation in progress, anywhere in the workflow."""
    for wf in [top, *top.subprocesses.values()]:
        names = throw_spec_names(wf.spec)
        if names:
            for task in list(wf.tasks.values()):
                if task.task_spec.name in names and QUEUE_KEY in task.internal_data:
                    yield task


def _claimed(top) -> set:
    return {entry["a"] for task in active_throws(top) for entry in task.internal_data[QUEUE_KEY]}


def drive_all(top) -> bool:
    changed = False
    for task in list(active_throws(top)):
        changed = drive(task) or changed
    return changed


def throw_spec_names(spec):
    # cached on the (shared, immutable at run time) spec object
    names = getattr(spec, "_compensate_throws", None)
    if names is None:
        from .specs import CancelEndEvent, CompensateEndEvent, CompensateThrowEvent
        names = frozenset(n for n, s in spec.task_specs.items()
                          if isinstance(s, (CompensateThrowEvent, CompensateEndEvent, CancelEndEvent)))
        spec._compensate_throws = names
    return names


def mark_failed(handler):
    handler.internal_data[FAILED_KEY] = True
    if handler.parent is not None and COMP_KEY in handler.parent.internal_data:
        handler.parent.internal_data[COMP_KEY] = "failed"


def clear_failed(handler):
    handler.internal_data.pop(FAILED_KEY, None)
    if handler.parent is not None and handler.parent.internal_data.get(COMP_KEY) == "failed":
        handler.parent.internal_data[COMP_KEY] = "compensating"


# --- calls that may have taken effect ---------------------------------------------------------

POSSIBLY_DONE_KEY = "possibly_done"


def count_as_done(task) -> None:
    """A service call that may have taken effect without its outcome being recorded (the worker
    died after the call, or it timed out for good) counts as a completed activity for
    compensation: marked COMPLETED where it stands, without running on, so that a compensation
    of its scope (the cancel or rollback about to interrupt it) undoes it too; its handler
    finds the effect by the order, or finds nothing to undo."""
    task.internal_data[POSSIBLY_DONE_KEY] = True
    task._set_state(TaskState.COMPLETED)
