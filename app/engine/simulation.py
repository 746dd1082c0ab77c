"""Run a model on the real engine with a scripted scenario: no handler, bank, Kafka or storage.

The simulator drives the Instance facade the way the worker does, with scripted outcomes in
place of handlers, and applies the worker's failure rules (app.engine.failures). One action at
a time, in this order, until nothing more can happen:

1. deliver a scripted message or signal whose `after` element has completed;
2. run the oldest pending service call with the next outcome scripted for its element (else
   for its handler; `ok` by default): `ok` completes it, `fail` fails every attempt its retry
   policy allows (no real waiting), `error:CODE` throws business error CODE;
3. complete the first ready user task with the next data scripted for it (`{}` by default),
   else deliver the message of the first waiting receive task (alone or behind an event-based
   gateway) with the next data scripted for that task as its payload, unless the scenario
   scripts that message itself;
4. deliver a message or signal scripted without `after`;
5. fire the earliest waiting timer (the clock jumps to it).

So the clock moves only when nothing else can happen, and a user task completes before a
timer on it fires. Every engine step and action counts towards `max_steps`; the run also stops
after `max_seconds`.
"""
import json
import logging
import time
from collections import deque
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime, timezone


from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway, ReceiveTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from . import failures
from .errors import EngineError, ModelError
from .problems import ERROR, WARNING, Problem
from .trace import Recorder

log = logging.getLogger(__name__)

OUTCOME_OK, OUTCOME_FAIL, ERROR_PREFIX = "ok", "fail", "error:"
MAX_STEPS = 100_000
DEFAULT_STEPS = 10_000


class ScenarioError(ValueError):
    """The scenario does not fit the files (e.g. which process to run): a field-level refusal."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


class SimulationLimit(Exception):
    pass


@dataclass
class Scenario:
    data: dict = field(default_factory=dict)
    outcomes: dict = field(default_factory=dict)       # element id or handler -> ["ok", "fail", "error:CODE"]
    user_tasks: dict = field(default_factory=dict)     # element id -> [data, ...]
    messages: list = field(default_factory=list)       # [{"name", "payload", "after"}]
    signals: list = field(default_factory=list)        # [{"name", "payload", "after"}]
    max_steps: int = DEFAULT_STEPS
    max_seconds: float = 10.0


def simulate(engine, files: dict, scenario: Scenario, process_id: str | None = None,
             start: datetime | None = None) -> dict:
    """The answer of POST /api/v1/simulations. ModelError if the model has errors;
    ScenarioError if the process to run cannot be chosen."""
    checked = engine.check(files, process_id, bindings_required=False)
    if process_id is not None and process_id not in checked.process_ids():
        raise ScenarioError("process_id", f"no process '{process_id}' in the files")
    if not checked.valid:
        raise ModelError(checked.problems)
    main = process_id or _only_entry_point(checked)
    model = engine.compile(checked, main, cache=False)
    types = {}
    for element in checked.elements():
        types.setdefault((element["scope"], element["id"]), element["type"])
        types.setdefault(element["id"], element["type"])
    try:
        run = Simulation(engine, model, scenario, types, start or datetime.now(timezone.utc))
    except Exception as exc:    # noqa: BLE001 - the engine could not even start this model
        log.warning("simulation could not start", exc_info=exc)
        problem = Problem(None, None, None, ERROR, f"the engine cannot start the process: {exc!r}")
        return {"status": "failed", "end_events": [], "counts": {}, "compensations": [], "trace": [],
                "waiting": [], "data": {}, "problems": [p.as_dict() for p in [*checked.problems, problem]]}
    run.problems[:0] = checked.problems
    return run.run()


def _only_entry_point(checked) -> str:
    if len(checked.entry_points) == 1:
        return checked.entry_points[0]
    if not checked.entry_points:
        raise ScenarioError("process_id", "no executable process to run: set isExecutable=\"true\"")
    raise ScenarioError("process_id", "several executable processes: choose one of "
                                      + ", ".join(checked.entry_points))


class Simulation:
    def __init__(self, engine, model, scenario: Scenario, element_types: dict, start: datetime):
        self.scenario = scenario
        self.inst = engine.start(model, deepcopy(scenario.data))
        self.recorder = Recorder(self.inst, element_types)
        self.outcomes = {key: deque(values) for key, values in scenario.outcomes.items()}
        self.user_data = {key: deque(values) for key, values in scenario.user_tasks.items()}
        self.events = [("message", m) for m in scenario.messages] + [("signal", s) for s in scenario.signals]
        self.problems: list[Problem] = []
        self.incidents: set[str] = set()       # task ids held for an operator
        self.now = start
        self.steps = 0
        self.deadline = time.monotonic() + scenario.max_seconds
        self._check_scenario(model, element_types)

    # --- running ----------------------------------------------------------------------------
    def run(self) -> dict:
        status = None
        try:
            self.advance()
            while self.act():
                pass
        except SimulationLimit as exc:
            status = "failed"
            self.problem(None, ERROR, str(exc))
        except Exception as exc:    # noqa: BLE001 - an analyst's model may fail in any way: report it
            status = "failed"
            self._engine_failure(exc)
        self.recorder.look()
        for kind, event in self.events:
            self.problem(event.get("after"), WARNING, f"{kind} '{event['name']}' was never delivered: "
                                                      f"'{event.get('after')}' did not complete")
        if status is None:
            status = "completed" if self.inst.is_completed() else "incident" if self.incidents else "waiting"
        return self.answer(status)

    def act(self) -> bool:
        """One action; False when nothing more can happen."""
        self.recorder.look()
        return (self.deliver(due=True) or self.serve_call() or self.complete_user_task()
                or self.deliver(due=False) or self.fire_timer())

    def tick(self, task=None) -> None:
        self.steps += 1
        if self.steps > self.scenario.max_steps:
            raise SimulationLimit(f"stopped after max_steps={self.scenario.max_steps} steps: "
                                  "the model may loop forever (or raise max_steps)")
        if time.monotonic() > self.deadline:
            raise SimulationLimit(f"stopped after {self.scenario.max_seconds:g} s")

    def advance(self) -> None:
        self.inst.advance(self.now, before_step=self.tick)

    # --- actions ----------------------------------------------------------------------------
    def deliver(self, due: bool) -> bool:
        for entry in self.events:
            kind, event = entry
            after = event.get("after")
            if (after is None) == due or (due and not self.recorder.counts.get(after)):
                continue
            self.events.remove(entry)
            self.tick()
            # a message always carries its payload ({}); a signal only when one is scripted
            sent = self.inst.send_message(event["name"], event.get("payload") or {}) if kind == "message" \
                else self.inst.send_signal(event["name"], event.get("payload") or None)
            if not sent:
                self.problem(after, WARNING, f"{kind} '{event['name']}' was not caught: nothing waited for it")
            self.advance()
            return True
        return False

    def serve_call(self) -> bool:
        call = next((c for c in self.inst.pending_service_calls() if c.task_id not in self.incidents), None)
        if call is None:
            return False
        outcome = self.next_outcome(call)
        self.tick()
        element = call.step
        if outcome == OUTCOME_OK:
            self.inst.complete_service(call.task_id, {})
        elif outcome == OUTCOME_FAIL:
            attempts = 1
            while failures.may_retry(call, attempts):
                attempts += 1
            self.recorder.event(element, "failed")
            self.give_up(call, failures.STEP_FAILED, f"simulated technical failure ({attempts} attempts)")
        else:
            code = outcome[len(ERROR_PREFIX):]
            self.recorder.event(element, outcome)
            self.give_up(call, code, "simulated business error")
        self.advance()
        return True

    def next_outcome(self, call) -> str:
        for key in (call.step, call.handler):
            queue = self.outcomes.get(key)
            if queue:
                return queue.popleft()
        return OUTCOME_OK

    def give_up(self, call, code: str, message: str) -> None:
        outcome = failures.give_up(self.inst, call, code, message)
        if outcome == failures.THROWN:
            return
        self.incidents.add(call.task_id)
        self.recorder.event(call.step, "incident")
        if outcome == failures.COMPENSATION_FAILED:
            self.problem(call.step, WARNING, f"compensation handler failed ({code}): the rollback of "
                                             f"'{call.compensates}' waits for an operator (incident)")
        else:
            self.problem(call.step, WARNING, f"BPMN error '{code}' is caught nowhere in the model: "
                                             "the instance waits for an operator (incident)")

    def complete_user_task(self) -> bool:
        """The first ready user task, else the first waiting receive task (its message comes
        with the data), unless the scenario scripts that message itself."""
        tasks = self.inst.ready_user_tasks()
        if tasks:
            self.tick()
            self.inst.complete_user_task(tasks[0].task_id, self.next_data(tasks[0].step))
            self.advance()
            return True
        scripted = {event["name"] for kind, event in self.events if kind == "message"}
        receive = next(((element_id, name) for element_id, name in self.waiting_receive_tasks()
                        if name not in scripted), None)
        if receive is None:
            return False
        self.tick()
        self.inst.send_message(receive[1], self.next_data(receive[0]))
        self.advance()
        return True

    def waiting_receive_tasks(self):
        """(element id, message name) of the receive tasks waiting for their message, on their
        own or behind an event-based gateway (which holds their event definitions, in the order
        of its outgoing flows)."""
        for task in self.inst._all_tasks():
            spec = task.task_spec
            if task.state != TaskState.WAITING:
                continue
            if isinstance(spec, ReceiveTask):
                yield spec.bpmn_id, spec.event_definition.name
            elif isinstance(spec, EventBasedGateway):
                yield from ((target.bpmn_id, definition.name) for target, definition
                            in zip(spec.outputs, spec.event_definition.event_definitions)
                            if isinstance(target, ReceiveTask))

    def next_data(self, element_id: str) -> dict:
        queue = self.user_data.get(element_id)
        return queue.popleft() if queue else {}

    def fire_timer(self) -> bool:
        due = self.inst.next_timer_at()
        if due is None:
            return False
        self.tick()
        self.now = max(self.now, due)
        self.advance()
        return self.recorder.look() > 0

    # --- reporting --------------------------------------------------------------------------
    def problem(self, element_id, severity: str, message: str) -> None:
        self.problems.append(Problem(element_id, self.recorder.element_types.get(element_id) if element_id else None,
                                     None, severity, message))

    def _engine_failure(self, exc) -> None:
        """A script, condition or timer of the model failed (SpiffWorkflow names the task)."""
        if not isinstance(exc, (SpiffWorkflowException, EngineError)):
            log.warning("simulation stopped by an unexpected error", exc_info=exc)
        element_id = getattr(exc, "element_id", None) or getattr(getattr(exc, "task_spec", None), "bpmn_id", None)
        self.recorder.look()            # what completed before it failed comes first
        if element_id is not None:
            self.recorder.event(element_id, "failed")
        self.problem(element_id, ERROR, f"the engine stopped: {exc}")

    def _check_scenario(self, model, element_types) -> None:
        """Scripted names that match nothing in the model are most likely typing mistakes."""
        specs = [model.spec, *model.subprocess_specs.values()]
        handlers = {getattr(s, "operation_name", None) for spec in specs for s in spec.task_specs.values()}
        for key in self.scenario.outcomes:
            if element_types.get(key) != "serviceTask" and key not in handlers:
                self.problem(None, WARNING, f"outcomes: no service task or handler named '{key}' in the model")
        for key in self.scenario.user_tasks:
            if key not in element_types:
                self.problem(None, WARNING, f"user_tasks: no element '{key}' in the model")
        for kind, event in self.events:
            if event.get("after") is not None and event["after"] not in element_types:
                self.problem(None, WARNING, f"{kind} '{event['name']}': no element '{event['after']}' in the model")

    def answer(self, status: str) -> dict:
        rec = self.recorder
        return {"status": status, "end_events": rec.end_events, "counts": rec.counts,
                "compensations": rec.compensations, "trace": rec.trace, "waiting": rec.waiting(),
                "data": plain(self.inst.data), "problems": [p.as_dict() for p in self.problems]}


def plain(value):
    """JSON-safe copy of process data (dates and other objects become strings)."""
    return json.loads(json.dumps(value, default=str))
