"""BpmnWorkflow that drives compensation, routes events through scopes and evaluates timers and
conditions against an injected clock and the current data."""
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.util.task import TaskState

from . import compensation
from .events import EscrowConditionalEventDefinition
from .scopes import EscrowEventManager, cancel_instances


class EscrowWorkflow(BpmnWorkflow):
    # Set by Instance.advance(now) for the duration of the call; timers only start counting
    # and only fire while it is set (see events.current_time).
    now = None

    def __init__(self, spec, subprocess_specs=None, script_engine=None, **kwargs):
        super().__init__(spec, subprocess_specs, script_engine, **kwargs)
        self.event_manager = EscrowEventManager(self)

    def _do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        """3.2.0's, except that a READY task cancelled by an earlier one in the same pass (a
        terminate end event, an interrupting event) is not run anyway."""
        hooks = (will_complete_task, did_complete_task)
        active = self.get_active_subprocesses()
        for subprocess in sorted(active, key=lambda sp: sp.depth, reverse=True):
            while _run_ready(subprocess, *hooks):
                pass
            if subprocess.parent_task_id is not None:
                task = self.get_task_from_id(subprocess.parent_task_id)
                task.task_spec._update(task)
        ran = _run_ready(self, *hooks) > 0 or len(self.get_active_subprocesses()) > len(active)
        return compensation.drive_all(self) or ran

    def create_subprocess(self, my_task, spec_name):
        subprocess = EscrowSubWorkflow(self.subprocess_specs[spec_name], parent_task_id=my_task.id,
                                       top_workflow=self)
        self.subprocesses[my_task.id] = subprocess
        return subprocess

    def refresh_timers(self):
        """Timers, and conditional events (their condition may hold on newer data now)."""
        super().refresh_timers()
        for task in list(self.event_manager.tasks.values()):
            if isinstance(task.task_spec.event_definition, EscrowConditionalEventDefinition):
                task.task_spec._update(task)


class EscrowSubWorkflow(BpmnSubWorkflow):
    def cancel(self, success=False):
        # a multi-instance body dropping its running instances would lose them (and what they
        # completed, which compensation still needs): cancel the instances first
        for task in self.get_tasks(state=TaskState.NOT_FINISHED_MASK):
            cancel_instances(task)
        return super().cancel(success)


def _run_ready(workflow, will_complete_task=None, did_complete_task=None) -> int:
    count = 0
    for task in workflow.get_tasks(state=TaskState.READY):
        if task.state == TaskState.READY and not task.task_spec.manual:
            if will_complete_task is not None:
                will_complete_task(task)
            task.run()
            count += 1
            if did_complete_task is not None:
                did_complete_task(task)
    return count
