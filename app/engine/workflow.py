"""BpmnWorkflow that drives compensation, routes events through scopes and evaluates timers and
conditions against an injected clock and the current data."""
from SpiffWorkflow.bpmn import BpmnWorkflow

from . import compensation
from .events import EscrowConditionalEventDefinition
from .scopes import EscrowEventManager


class EscrowWorkflow(BpmnWorkflow):
    # Set by Instance.advance(now) for the duration of the call; timers only start counting
    # and only fire while it is set (see events.current_time).
    now = None

    def __init__(self, spec, subprocess_specs=None, script_engine=None, **kwargs):
        super().__init__(spec, subprocess_specs, script_engine, **kwargs)
        self.event_manager = EscrowEventManager(self)

    def _do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        ran = super()._do_engine_steps(will_complete_task, did_complete_task)
        return compensation.drive_all(self) or ran

    def refresh_timers(self):
        """Timers, and conditional events (their condition may hold on newer data now)."""
        super().refresh_timers()
        for task in list(self.event_manager.tasks.values()):
            if isinstance(task.task_spec.event_definition, EscrowConditionalEventDefinition):
                task.task_spec._update(task)
