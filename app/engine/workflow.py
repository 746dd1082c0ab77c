"""BpmnWorkflow that drives compensation and evaluates timers against an injected clock."""
from SpiffWorkflow.bpmn import BpmnWorkflow

from . import compensation


class EscrowWorkflow(BpmnWorkflow):
    # Set by Instance.advance(now) for the duration of the call; timers only start counting
    # and only fire while it is set (see specs.current_time).
    now = None

    def _do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        ran = super()._do_engine_steps(will_complete_task, did_complete_task)
        return compensation.drive_all(self) or ran
