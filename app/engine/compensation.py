"""Compensation for SpiffWorkflow 3.2.0.

The parser records on each compensable activity spec the handler spec that undoes it
(``extensions['compensationHandler']``); handler specs are out of the normal flow.

When a compensate throw/end event runs, `begin` collects the COMPLETED, not yet compensated
activities of its scope (for a throw inside an event sub-process: the scope that event
sub-process belongs to), newest completion first, into a queue kept in the throw task's
internal data. `drive` (called by EscrowWorkflow after every engine step) runs one handler at a
time: the handler becomes a real task, a child of the activity it compensates, so it is saved
and restored with the workflow like any other task. A sub-process without a handler of its own
is compensated by compensating its inner activities (newest first).

Activity state lives in the activity task's internal data under COMP_KEY:
'compensating' | 'compensated' | 'failed'. An activity with that key is never collected again.
"""
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import (
    EventSubprocess as EventSubprocessMixin, SubWorkflowTask as SubWorkflowMixin,
)
from SpiffWorkflow.util.task import TaskState

COMP_KEY = "compensation"
QUEUE_KEY = "compensation_queue"
FAILED_KEY = "failed"
HANDLER_EXT = "compensationHandler"
FOR_EXT = "compensationFor"


def handler_name(spec):
    ext = getattr(spec, "extensions", None)
    return ext.get(HANDLER_EXT) if ext else None


def compensated_activity(spec):
    """For a handler spec: the element id of the activity it compensates, else None."""
    ext = getattr(spec, "extensions", None)
    return ext.get(FOR_EXT) if ext else None


def is_scope(spec):
    return isinstance(spec, SubWorkflowMixin) and not isinstance(spec, EventSubprocessMixin)


def scope_of(throw_task):
    wf = throw_task.workflow
    if wf.parent_task_id is not None:
        parent = wf.top_workflow.get_task_from_id(wf.parent_task_id)
        if isinstance(parent.task_spec, EventSubprocessMixin):
            return parent.workflow
    return wf


def _candidates(workflow, activity_ref=None):
    """Completed, never compensated activities of a workflow that have something to undo."""
    order = {task.id: i for i, task in enumerate(_preorder(workflow.task_tree))}
    found = []
    for task in workflow.tasks.values():
        spec = task.task_spec
        if task.state != TaskState.COMPLETED or COMP_KEY in task.internal_data:
            continue
        if activity_ref is not None and getattr(spec, "bpmn_id", None) != activity_ref:
            continue
        if handler_name(spec) or (is_scope(spec) and _has_inner(workflow.top_workflow, task)):
            found.append(task)
    # newest completion first; ties (same clock tick) broken by position in the tree
    found.sort(key=lambda t: (t.last_state_change, order.get(t.id, 0)), reverse=True)
    return found


def _preorder(root):
    stack = [root]
    while stack:
        task = stack.pop()
        yield task
        stack.extend(reversed(task.children))


def _has_inner(top, scope_task):
    sub = top.subprocesses.get(scope_task.id)
    return sub is not None and bool(_candidates(sub))


def begin(throw_task, definition) -> bool:
    """Start compensating; True when there is nothing (left) to do.

    Activities already queued by a compensation in progress (e.g. a rollback running when a
    cancel arrives) are left to it, so handlers still run one at a time and once each."""
    scope = scope_of(throw_task)
    claimed = _claimed(throw_task.workflow.top_workflow)
    queue = [{"a": str(t.id)} for t in _candidates(scope, definition.activity_ref)
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
        if entry.get("done"):                       # end of a sub-process scope
            activity.internal_data[COMP_KEY] = "compensated"
            top.subprocesses[activity.id].completed = True
            queue.pop(0)
            changed = True
            continue
        if "h" not in entry:
            changed = True
            if COMP_KEY in activity.internal_data:  # taken over meanwhile: never twice
                queue.pop(0)
                continue
            name = handler_name(activity.task_spec)
            if name is None:                        # sub-process: undo its inner activities
                sub = top.subprocesses[activity.id]
                inner = [{"a": str(t.id)} for t in _candidates(sub)]
                activity.internal_data[COMP_KEY] = "compensating"
                # reopen it so its handler tasks run and complete without re-completing it
                sub.completed = False
                queue[0:1] = inner + [{"a": entry["a"], "done": True}]
                continue
            entry["h"] = str(_start_handler(activity, name).id)
            return changed
        handler = top.get_task_from_id(UUID(entry["h"]))
        if handler.state == TaskState.COMPLETED:
            activity.internal_data[COMP_KEY] = "compensated"
            queue.pop(0)
            changed = True
            continue
        return changed                              # still running, or failed and parked
    del throw_task.internal_data[QUEUE_KEY]
    if throw_task.state == TaskState.STARTED:
        throw_task.complete()
    return True


def _start_handler(activity, name):
    spec = activity.workflow.spec.task_specs[name]
    handler = activity._add_child(spec, TaskState.FUTURE)
    handler.triggered = True
    activity.internal_data[COMP_KEY] = "compensating"
    spec._update(handler)       # inherits the activity's data, becomes READY
    if handler.state == TaskState.READY:
        handler.run()           # deferred service task -> STARTED; script/none -> COMPLETED
    return handler


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


def is_handler_task(task) -> bool:
    return compensated_activity(task.task_spec) is not None


def throw_spec_names(spec):
    # cached on the (shared, immutable at run time) spec object
    names = getattr(spec, "_compensate_throws", None)
    if names is None:
        from .specs import CompensateEndEvent, CompensateThrowEvent
        names = frozenset(n for n, s in spec.task_specs.items()
                          if isinstance(s, (CompensateThrowEvent, CompensateEndEvent)))
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
