"""Instance: one running process, as the worker and the API see it."""
from copy import deepcopy
from datetime import datetime, timezone
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from . import compensation, scopes
from .errors import EngineError, TaskNotFound, UnhandledBpmnError
from .events import EscrowErrorEventDefinition, EscrowMessageEventDefinition, EscrowSignalEventDefinition
from .specs import DeferredServiceTask, utc
from .types import RetryPolicy, ServiceCall, UserTaskView
from .views import step_states, status

_ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING


class Instance:
    def __init__(self, engine, model, workflow):
        self.engine = engine
        self.model = model
        self.wf = workflow

    # --- running ----------------------------------------------------------------------------
    def advance(self, now: datetime | None = None, before_step=None) -> None:
        """Run engine steps and fire timers due at `now` (tz-aware; default: the real clock).
        Never runs handlers: service tasks stop STARTED for the worker. `before_step(task)` is
        called before each engine step (a simulation counts steps and may stop there)."""
        self.wf.now = utc(now) if now is not None else datetime.now(timezone.utc)
        try:
            self.wf.refresh_timers()
            self.wf.do_engine_steps(will_complete_task=before_step)
            while self._has_ready_engine_tasks():
                self.wf.do_engine_steps(will_complete_task=before_step)
        finally:
            self.wf.now = None
        self.wf.bpmn_events.clear()     # events nobody inside caught: nothing outside listens

    def _has_ready_engine_tasks(self) -> bool:
        return any(t.state == TaskState.READY and not t.task_spec.manual for t in self._all_tasks())

    def _workflows(self):
        return [self.wf, *self.wf.subprocesses.values()]

    def _all_tasks(self):
        for wf in self._workflows():
            yield from wf.tasks.values()

    def _task(self, task_id: str, state=None, spec_type=None):
        try:
            task = self.wf.get_task_from_id(UUID(str(task_id)))
        except (TaskNotFoundException, ValueError):
            task = None
        if task is None or (state is not None and not task.has_state(state)) or \
                (spec_type is not None and not isinstance(task.task_spec, spec_type)):
            raise TaskNotFound(f"no such task {task_id} in the expected state")
        return task

    # --- service tasks ----------------------------------------------------------------------
    def pending_service_calls(self, include_failed: bool = False) -> list[ServiceCall]:
        """STARTED service tasks waiting for the worker, oldest first. Compensation handlers
        marked failed are left out unless include_failed."""
        tasks = [t for t in self._all_tasks()
                 if t.state == TaskState.STARTED and isinstance(t.task_spec, DeferredServiceTask)]
        tasks.sort(key=lambda t: t.last_state_change)
        calls = []
        for task in tasks:
            failed = bool(task.internal_data.get(compensation.FAILED_KEY))
            if failed and not include_failed:
                continue
            spec = task.task_spec
            calls.append(ServiceCall(
                task_id=str(task.id), step=spec.bpmn_id, label=spec.bpmn_name,
                handler=spec.operation_name, params=self._params(task), retry=self._retry(spec),
                compensates=compensation.compensated_activity(spec), failed=failed,
                instance=compensation.instance_path(task)))
        return calls

    def _params(self, task) -> dict:
        params = {}
        for name, param in task.task_spec.operation_params.items():
            try:
                params[name] = self.wf.script_engine.evaluate(task, param["value"])
            except Exception as exc:    # a model mistake: say where
                raise EngineError(f"serviceTask '{task.task_spec.bpmn_id}': parameter {name!r} "
                                  f"= {param['value']!r} failed: {getattr(exc, 'reason', exc)}",
                                  task.task_spec.bpmn_id) from None
        return params

    def _retry(self, spec) -> RetryPolicy:
        props = spec.extensions.get("properties", {})
        default = self.engine.default_retry
        return RetryPolicy(int(props.get("retry.max_attempts", default.max_attempts)),
                           float(props.get("retry.base_s", default.base_s)))

    def complete_service(self, task_id: str, variables: dict | None = None) -> None:
        task = self._task(task_id, TaskState.STARTED, DeferredServiceTask)
        task.data.update(variables or {})
        task.internal_data.pop(compensation.FAILED_KEY, None)
        task.complete()

    def fail_service(self, task_id: str, error_code: str, message: str = "") -> None:
        """Throw BPMN error `error_code` from the task: error boundary events and error event
        sub-processes catch it. Raises UnhandledBpmnError if nothing does (the task stays
        STARTED). For a compensation handler this marks the compensation failed instead."""
        task = self._task(task_id, TaskState.STARTED, DeferredServiceTask)
        if compensation.compensated_activity(task.task_spec):
            compensation.mark_failed(task)
            return
        definition = EscrowErrorEventDefinition(error_code, code=error_code)
        payload = {"code": error_code, "message": message, "step": task.task_spec.bpmn_id}
        if not scopes.propagate(BpmnEvent(definition, payload=payload), task):
            raise UnhandledBpmnError(task.task_spec.bpmn_id, error_code, message)

    def count_as_done(self, task_id: str) -> None:
        """The call of this STARTED service task may have taken effect: compensate it with its
        scope (app.engine.compensation.count_as_done). Call it right before the event (cancel
        message, BPMN error) that interrupts the task has run its course in `advance`."""
        compensation.count_as_done(self._task(task_id, TaskState.STARTED, DeferredServiceTask))

    def mark_compensation_failed(self, task_id: str) -> None:
        """The worker gave up on a compensation handler: park it (the process keeps waiting)."""
        compensation.mark_failed(self._task(task_id, TaskState.STARTED, DeferredServiceTask))

    def retry_service(self, task_id: str) -> None:
        """Operator action: offer a parked (failed) handler to the worker again."""
        compensation.clear_failed(self._task(task_id, TaskState.STARTED, DeferredServiceTask))

    # --- user tasks -------------------------------------------------------------------------
    def ready_user_tasks(self) -> list[UserTaskView]:
        views = []
        for task in self._all_tasks():
            if task.state != TaskState.READY or not task.task_spec.manual:
                continue
            spec = task.task_spec
            props = dict(spec.extensions.get("properties", {}))
            views.append(UserTaskView(
                task_id=str(task.id), step=spec.bpmn_id, label=spec.bpmn_name, lane=spec.lane,
                form=props.get("formJsonSchemaFilename"), properties=props, data=deepcopy(task.data),
                process=task.workflow.spec.name))
        return views

    def complete_user_task(self, task_id: str, data: dict | None = None) -> None:
        task = self._task(task_id, TaskState.READY)
        if not task.task_spec.manual:
            raise TaskNotFound(f"task {task_id} is not a user task")
        if hasattr(task.task_spec, "add_data_from_form"):
            task.task_spec.add_data_from_form(task, data or {})
        else:
            task.data.update(data or {})
        task.run()

    # --- events -----------------------------------------------------------------------------
    def send_message(self, name: str, payload: dict | None = None) -> bool:
        """Deliver BPMN message `name`; the payload lands in the catching task's data under the
        model's spiffworkflow:messageVariable, or under the message name. False if nothing
        was waiting for it."""
        return self._broadcast(EscrowMessageEventDefinition(name), payload or {})

    def send_signal(self, name: str, payload=None) -> bool:
        """Broadcast BPMN signal `name` to every catcher of this instance (intermediate and
        boundary events, event sub-processes at every level). False if nothing caught it."""
        return self._broadcast(EscrowSignalEventDefinition(name), payload)

    def _broadcast(self, definition, payload) -> bool:
        if self.wf.is_completed():
            return False
        return self.wf.event_manager.catch(BpmnEvent(definition, payload=payload), internal=False) > 0

    def next_timer_at(self) -> datetime | None:
        """Earliest due time of a waiting timer (tz-aware UTC), None if no timer waits."""
        due = []
        for task in self.wf.event_manager.tasks.values():
            definition = task.task_spec.event_definition
            timers = [definition] if isinstance(definition, TimerEventDefinition) else \
                [d for d in getattr(definition, "event_definitions", ()) if isinstance(d, TimerEventDefinition)]
            value = task.internal_data.get("event_value")   # due time, set by advance()
            if timers and isinstance(value, str):
                due.append(TimerEventDefinition.get_datetime(value))
        return min(due) if due else None

    # --- views ------------------------------------------------------------------------------
    def is_completed(self) -> bool:
        return self.wf.is_completed()

    def status(self) -> str | None:
        return status(self)

    def step_states(self) -> dict[str, str]:
        return step_states(self)

    @property
    def data(self) -> dict:
        """Workflow data once completed, else the data of the most recently completed task.
        (An event sub-process ends the workflow without reaching its End task, so 3.2.0 leaves
        the workflow data empty then: fall back to the newest completed task as well.)"""
        if self.wf.is_completed() and self.wf.data:
            return self.wf.data
        tasks = self.wf.tasks.values() if self.wf.is_completed() else self._all_tasks()
        done = [t for t in tasks if t.state == TaskState.COMPLETED]
        return max(done, key=lambda t: t.last_state_change).data if done else self.wf.task_tree.data

    def dump(self) -> dict:
        return self.engine.dump_state(self.model, self.wf)
