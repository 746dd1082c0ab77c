"""Scopes: where an event goes, and what an interrupting event sub-process cancels.

SpiffWorkflow 3.2.0 starts event sub-processes of the top-level process only, and delivers an
error to any waiting catcher of the throwing sub-process (even a boundary event of an unrelated
activity). Here, as BPMN 2.0.2 (10.5.6, 10.5.7, 13.5) says:
- an error or escalation thrown at a task goes to the innermost catcher: a boundary event of
  an activity the task is in (the task itself first), then an event sub-process of its scope,
  then the same one level up, up to the process. Within one level a catcher of that very code
  wins over a catch-all. An error nobody catches is reported to the caller;
- messages and signals start matching event sub-processes of every active scope (each
  delivery starts a new instance of a non-interrupting one);
- once an interrupting event sub-process has started in a scope, no other event sub-process of
  that scope starts, and the scope's other work is cancelled (13.5).
"""
from copy import deepcopy

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import EventSubprocess as EventSubprocessMixin
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.util.task import TaskState

from . import compensation

INTERRUPTED_KEY = "interrupted"   # on a scope's root task: an interrupting handler started


# --- errors and escalations -----------------------------------------------------------------

def propagate(event, task) -> bool:
    """Deliver `event` thrown at `task` to its innermost catcher; False if nobody caught it."""
    top = task.workflow.top_workflow
    node, wf, came_from = task, task.workflow, None
    while True:
        if _catch_on_boundaries(node, event) or _start_in_scope(wf, event, exclude=came_from):
            return True
        if wf.parent_task_id is None:
            return False
        parent = top.get_task_from_id(wf.parent_task_id)
        came_from = parent.task_spec.name if isinstance(parent.task_spec, EventSubprocessMixin) else None
        node, wf = parent, parent.workflow


def _catch_on_boundaries(task, event) -> bool:
    """Boundary events of the activities `task` is part of (itself, an MI body), innermost first.
    Walking up the task tree, a boundary split counts only when we come from its activity (not
    from the path after one of its boundary events)."""
    while task is not None:
        split = task.parent
        if split is not None and isinstance(split.task_spec, BoundaryEventSplit) \
                and not isinstance(task.task_spec, BoundaryEvent):
            catchers = [b for b in split.children if isinstance(b.task_spec, BoundaryEvent)
                        and b.state == TaskState.WAITING and b.task_spec.catches(b, event)]
            if catchers:
                _deliver(_most_specific(catchers, event), event)
                return True
        task = split
    return False


def _most_specific(tasks, event):
    code = getattr(event.event_definition, "code", None)
    exact = [t for t in tasks if getattr(t.task_spec.event_definition, "code", None) == code]
    return (exact or tasks)[0]


def _deliver(task, event):
    task.task_spec.catch(task, event)
    task.task_spec._update(task)


# --- event sub-processes --------------------------------------------------------------------

def start_event_subprocesses(top, event) -> int:
    """Start the event sub-processes of every active scope whose start event catches `event`
    (messages, signals). Returns how many started."""
    scopes = [top, *(sp for sp in top.subprocesses.values() if not sp.completed)]
    return sum(1 for wf in scopes if _start_in_scope(wf, event))


def _start_in_scope(wf, event, exclude=None) -> bool:
    root = wf.task_tree
    if root.internal_data.get(INTERRUPTED_KEY):
        return False
    candidates = []
    for name in wf.spec.start.trigger_specs:
        es_spec = wf.spec.task_specs[name]
        start = start_event_spec(wf.top_workflow.subprocess_specs[es_spec.spec])
        if name != exclude and start.event_definition == event.event_definition:
            candidates.append((es_spec, start))
    if not candidates:
        return False
    code = getattr(event.event_definition, "code", None)
    exact = [c for c in candidates if getattr(c[1].event_definition, "code", None) == code]
    es_spec, start = (exact or candidates)[0]
    if start.interrupting:              # no other handler from now on, even before it runs
        wf.task_tree.internal_data[INTERRUPTED_KEY] = True
    trigger(wf, es_spec, start, event)
    return True


def start_event_spec(sub_spec):
    return sub_spec.bpmn_start_events[0]


def trigger(wf, es_spec, start_spec, event=None):
    """A new instance of an event sub-process in scope `wf`, its start event caught `event`."""
    top = wf.top_workflow
    es_task = wf.task_tree._add_child(es_spec, TaskState.FUTURE)
    es_task.triggered = True
    es_spec._update(es_task)            # creates its sub-process; the start event waits
    sub = top.subprocesses[es_task.id]
    start = next(t for t in sub.tasks.values() if t.task_spec is start_spec)
    if event is not None:
        _deliver(start, event)
    else:
        start.task_spec._update(start)
    return es_task


def rearm_event_subprocess(start_task, internal):
    """A non-interrupting timer cycle fired: a new instance of its event sub-process waits for
    the next occurrence (`internal`: that occurrence's timer state; None: the cycle is over)."""
    sub = start_task.workflow
    if internal is None or sub.parent_task_id is None:
        return
    top = sub.top_workflow
    es_task = top.get_task_from_id(sub.parent_task_id)
    again = es_task.workflow.task_tree._add_child(es_task.task_spec, TaskState.FUTURE)
    again.triggered = True
    es_task.task_spec._update(again)
    waiting = next(t for t in top.subprocesses[again.id].tasks.values() if t.task_spec is start_task.task_spec)
    waiting.internal_data.update(internal, event_fired=False)
    waiting.task_spec._update(waiting)


def scope_data(wf) -> dict:
    """The scope's current data: that of its most recently completed task."""
    last = wf.last_task if wf.last_task is not None else wf.task_tree
    return deepcopy(last.data)


def is_dormant(top, es_task) -> bool:
    """An event sub-process instance whose start event has not fired yet (timer, condition)."""
    if not isinstance(es_task.task_spec, EventSubprocessMixin):
        return False
    sub = top.subprocesses.get(es_task.id)
    return sub is None or not any(t.task_spec in sub.spec.bpmn_start_events and t.state == TaskState.COMPLETED
                                  for t in sub.tasks.values())


def interrupt_parent_scope(start_task):
    """An interrupting event sub-process started: cancel the rest of the scope it belongs to.

    Compensation handlers already running and other event sub-processes already running are
    left alone, so a rollback in progress finishes."""
    sub = start_task.workflow
    if sub.parent_task_id is None:
        return
    top = sub.top_workflow
    es_task = top.get_task_from_id(sub.parent_task_id)
    scope = es_task.workflow
    scope.task_tree.internal_data[INTERRUPTED_KEY] = True
    for task in list(scope.tasks.values()):
        if task is es_task or task.id not in scope.tasks or task.has_state(TaskState.FINISHED_MASK):
            continue
        if task.parent is es_task:            # the event sub-process' own join towards the end
            continue
        if isinstance(task.task_spec, EventSubprocessMixin) and not is_dormant(top, task):
            continue
        if compensation.is_handler_task(task):
            continue
        cancel(task)


def cancel_rest_of_scope(task):
    """Cancel the unfinished work of `task`'s (sub-)process except `task` and running handlers."""
    for other in list(task.workflow.tasks.values()):
        if other is task or other.id not in task.workflow.tasks or other.has_state(TaskState.FINISHED_MASK):
            continue
        if not compensation.is_handler_task(other):
            cancel(other)


def cancel(task):
    cancel_instances(task)
    task.cancel()


def cancel_instances(task):
    """Cancel a multi-instance body's running instances first: cancelling the body alone drops
    them from the tree (3.2.0), and their sub-processes with them."""
    if isinstance(task.task_spec, MultiInstanceTask):
        for child in task.children:
            if compensation.is_instance(child) and not child.has_state(TaskState.FINISHED_MASK):
                child.cancel()


def cancel_sibling_instances(instance) -> list:
    """The other instances of the multi-instance activity `instance` belongs to (none if it
    does not), those still running cancelled."""
    if not compensation.is_instance(instance):
        return []
    siblings = [t for t in instance.parent.children if t is not instance and compensation.is_instance(t)]
    for sibling in siblings:
        if not sibling.has_state(TaskState.FINISHED_MASK):
            sibling.cancel()
    return siblings


class EscrowEventManager(EventManager):
    """Messages and signals also start event sub-processes of nested scopes (3.2.0: top only)."""

    def catch(self, event, internal=True):
        if event.target is not None:        # 3.2.0's targeted events; ours use `propagate`
            return super().catch(event, internal)
        started = start_event_subprocesses(self.workflow, event)
        tasks = [t for t in self.tasks.values() if t.task_spec.catches(t, event)]
        for task in tasks:
            _deliver(task, event)
        if not tasks and not started and internal:
            self.workflow.bpmn_events.append(event)
        return len(tasks) + started
