"""The process manager: applies one command to one order and runs its saga as far as it can go.

Step boundaries are explicit (see BOUNDARIES): a crash at any of them loses nothing, because
state is saved with a version check after every step that changed something in the bank
(read-only steps are saved with the next one), bank calls carry idempotency keys that are
stable across redeliveries, and the Kafka offset is committed only after the save.
"""
import logging

from app.domain import statuses
from app.domain.clock import as_utc, utcnow
from app.engine import failures
from app.messaging import commands as cmd
from app.process_models import initial_data
from app.store import process_state
from app.store.orders import ConcurrencyError, history_entry
from app.worker import steps as step_book
from app.worker.order_run import OrderRun, new_incident
from app.worker.retry import next_attempt_at
from handlers.base import BusinessError, StepCall, TransientError

log = logging.getLogger(__name__)

STEP_FAILED = failures.STEP_FAILED  # the BPMN error code thrown when a step exhausts its retries
BOUNDARIES = ("loaded", "command_applied", "before_handler", "after_handler", "after_save")
MAX_CONFLICT_RETRIES = 5
SAVED_FIELDS = {"version": 1, "cancel_requested": 1}  # what a save reads back


class OrderMissing(Exception):
    pass


class ProcessManager:
    def __init__(self, repo, catalog, handlers: dict, services, settings, clock=utcnow,
                 boundary_hook=None):
        self.repo = repo
        self.catalog = catalog
        self.handlers = handlers
        self.services = services
        self.settings = settings
        self.clock = clock
        self.boundary_hook = boundary_hook  # fault injection: called at every step boundary

    def boundary(self, name: str, run: OrderRun, **info) -> None:
        if self.boundary_hook:
            self.boundary_hook(name, run.doc["_id"], info)

    # --- entry ----------------------------------------------------------------------------
    def handle(self, command: cmd.Command) -> None:
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                return self._handle_once(command)
            except ConcurrencyError:
                log.info("order %s changed under us; reloading", command.order_id)
        raise ConcurrencyError(command.order_id)

    def record_failure(self, command: cmd.Command, error: Exception) -> None:
        """A command that could not be handled becomes a visible incident on its order
        (besides the dead letter); an operator's retry runs the saga again."""
        order = self.repo.get(command.order_id)
        if order is None or statuses.is_final(order["status"]):
            return
        incident = new_incident(command.order_id, f"command {command.type}", None, None,
                                f"{type(error).__name__}: {error}", 1, self.clock())
        self.repo.append(command.order_id, history=[
            history_entry("worker", "incident.opened", incident_id=incident["id"], error=incident["error"]),
            history_entry("worker", "status", **{"from": order["status"], "to": statuses.INCIDENT})],
            set_fields={"status": statuses.INCIDENT}, push={"incidents": incident})

    def _handle_once(self, command: cmd.Command) -> None:
        doc = self.repo.get(command.order_id)
        if doc is None:
            raise OrderMissing(command.order_id)
        run = self._load(doc)
        run.actor = command.actor
        self.boundary("loaded", run, command=command.type)
        if command.id not in run.applied:
            self._apply(run, command)
            run.mark_applied(command.id)
            self.boundary("command_applied", run, command=command.type)
        self._run_saga(run)

    def _load(self, doc: dict) -> OrderRun:
        model = self.catalog.get(doc["model"]["spec_hash"])
        if doc.get("process"):
            inst = self.catalog.engine.load(model, process_state.decode(doc["process"]))
        else:
            inst = self.catalog.engine.start(model, self._initial_data())
        return OrderRun(doc, inst, self.clock(), self.settings)

    def _initial_data(self) -> dict:
        return initial_data(self.settings)

    # --- commands -------------------------------------------------------------------------
    def _apply(self, run: OrderRun, command: cmd.Command) -> None:
        inst, p = run.inst, command.payload
        if command.type == cmd.START:
            run.note(command.actor, "process.started", model=run.doc["model"])
        elif command.type == cmd.CANCEL:
            self._cancel(run, command.actor, p.get("reason", ""))
        elif command.type == cmd.COMPLETE_TASK:
            self._complete_user_task(run, p["task_id"], p.get("data", {}), command.actor)
        elif command.type == cmd.SIGNATURE_CONFIRMED:
            task = next((t for t in inst.ready_user_tasks() if t.step == "sign_order"), None)
            if task:
                self._complete_user_task(run, task.task_id, {"signed": True}, command.actor,
                                         record=False)
                run.note(command.actor, "order.signed", evidence=p.get("evidence", {}))
        elif command.type == cmd.NEW_CODE_REQUESTED:
            inst.send_message("new_code_requested", {})
            run.note(command.actor, "signature.code_requested")
        elif command.type == cmd.RETRY_INCIDENT:
            self._retry_incident(run, p["incident_id"], command.actor)
        elif command.type == cmd.RESOLVE_INCIDENT:
            self._resolve_incident(run, p["incident_id"], command.actor, p.get("reason", ""))
        # WAKE needs nothing: advancing fires due timers and due retries.

    def _cancel(self, run: OrderRun, actor: str, reason: str) -> None:
        if run.inst.is_completed():
            return
        for incident in run.incidents:
            if incident["status"] == "open":
                run.close_incident(incident, actor, "superseded", "order cancelled")
        run.inst.send_message("cancel_order", {"reason": reason})
        run.note(actor, "order.cancel_requested", reason=reason)

    def _complete_user_task(self, run, task_id, data, actor, record=True) -> None:
        task = next((t for t in run.inst.ready_user_tasks() if t.task_id == task_id), None)
        if task is None:
            return  # already completed or interrupted: a repeat changes nothing
        run.inst.complete_user_task(task_id, data)
        entry = step_book.find(run.steps, task.step)
        if entry:
            entry.update(completed=True, completed_by=actor)
        if record:
            run.results.update({k: v for k, v in data.items() if k != "code"})
            run.note(actor, "task.completed", step=task.step, data=data)

    def _retry_incident(self, run, incident_id, actor) -> None:
        incident = next((i for i in run.incidents if i["id"] == incident_id and i["status"] == "open"), None)
        if incident is None:
            return
        run.close_incident(incident, actor, "retried")
        if incident["task_id"] is None:
            return  # a command that failed: running the saga again is the retry
        entry = self._entry_for_task(run, incident["task_id"])
        if entry is not None:
            record = entry.get("compensation") if entry.get("compensation", {}).get("task_id") == incident["task_id"] else entry
            record.update(attempts=0, retry_at=None, error=None)
        run.inst.retry_service(incident["task_id"])

    def _resolve_incident(self, run, incident_id, actor, reason) -> None:
        """The operator fixed it by hand: the failed call counts as done, the saga goes on."""
        incident = next((i for i in run.incidents if i["id"] == incident_id and i["status"] == "open"), None)
        if incident is None:
            return
        run.close_incident(incident, actor, "resolved", reason)
        if incident["task_id"] is None:
            return
        run.inst.retry_service(incident["task_id"])
        call = next((c for c in run.inst.pending_service_calls() if c.task_id == incident["task_id"]), None)
        if call:
            self._finish_call(run, call, {}, manual=True)

    def _entry_for_task(self, run, task_id):
        return next((s for s in run.steps if s.get("task_id") == task_id
                     or s.get("compensation", {}).get("task_id") == task_id), None)

    # --- the saga loop ----------------------------------------------------------------------
    def _run_saga(self, run: OrderRun) -> None:
        """Advance until the process waits (user task, timer, retry back-off, incident, end).

        A save after each step with a bank effect (a crash before it repeats the step with the
        same idempotency key); read-only steps are saved with the next one. The pass's last save
        also publishes the context record (escrow.order-context): a context a few steps behind
        is safe to resume from, for the same reason.
        """
        run.inst.advance(run.now)
        run.refresh()
        call = self._next_call(run)
        if call is None:
            return self._save(run, publish_context=True)
        while call is not None:
            checkpoint = self._run_call(run, call)
            run.inst.advance(run.now)
            run.refresh()
            call = self._next_call(run)
            if checkpoint or call is None:
                self._save(run, publish_context=call is None)

    def _next_call(self, run: OrderRun):
        """The next service call that is due, after acting on a cancel that came meanwhile."""
        run.now = self.clock()
        request = run.doc.get("cancel_requested") or {}
        if request and request.get("command_id") not in run.applied:
            # The API marks a cancel on the document at once; act on it between steps.
            self._cancel(run, request.get("actor", "api"), request.get("reason", ""))
            run.mark_applied(request["command_id"])
            run.inst.advance(run.now)
            run.refresh()
        return self._next_due_call(run)

    def _next_due_call(self, run: OrderRun):
        if any(i["status"] == "open" and i["task_id"] is None for i in run.incidents):
            return None  # a command failed unexpectedly: nothing runs until an operator retries
        for call in run.inst.pending_service_calls():
            if run.open_incident_for(call.task_id):
                continue
            record = self._record_for(run, call)
            retry_at = as_utc(record.get("retry_at"))
            if retry_at and retry_at > run.now:
                continue
            return call
        return None

    def _record_for(self, run: OrderRun, call) -> dict:
        """The step entry (or its compensation record) that bookkeeps this call."""
        if call.compensates:
            entry = step_book.find(run.steps, call.compensates) or step_book.enter(
                run.steps, call.compensates, call.compensates, None, f"unknown:{call.compensates}", run.now)
            return step_book.compensation(entry, call.handler, call.task_id, run.now)
        return step_book.enter(run.steps, call.step, call.label, call.handler, call.task_id, run.now)

    def _run_call(self, run: OrderRun, call) -> bool:
        """Run one handler and apply its outcome; False when no checkpoint is needed yet (a
        read-only step that succeeded: repeating it after a crash changes nothing)."""
        record = self._record_for(run, call)
        entry = step_book.find(run.steps, call.compensates or call.step)
        key = f"{run.doc['_id']}/{call.compensates or call.step}/{entry['visit']}"
        if call.compensates:
            key += "/compensate"
        step_call = StepCall(order_id=run.doc["_id"], order=run.order_view(), params=call.params,
                             idempotency_key=key, attempt=record["attempts"] + 1,
                             services=self.services, settings=self.settings, now=run.now, step=call.step)
        self.boundary("before_handler", run, step=call.step, handler=call.handler)
        record["attempts"] += 1
        try:
            outcome = self.handlers[call.handler](step_call)
        except TransientError as error:
            self.boundary("after_handler", run, step=call.step, handler=call.handler, error=str(error))
            self._transient_failure(run, call, record, str(error))
            return True
        except BusinessError as error:
            self.boundary("after_handler", run, step=call.step, handler=call.handler, error=error.code)
            self._business_failure(run, call, record, error)
            return True
        self.boundary("after_handler", run, step=call.step, handler=call.handler)
        run.results.update(outcome.results)
        self._finish_call(run, call, outcome.variables)
        return not getattr(self.handlers[call.handler], "read_only", False)

    def _finish_call(self, run: OrderRun, call, variables: dict, manual: bool = False) -> None:
        record = self._record_for(run, call)
        record.update(finished_at=run.now, error=None, retry_at=None)
        entry = step_book.find(run.steps, call.compensates or call.step)
        entry["state"] = "compensated" if call.compensates else "completed"
        run.inst.complete_service(call.task_id, variables)
        action = "step.compensated" if call.compensates else "step.completed"
        run.note("operator" if manual else "worker", action, step=call.compensates or call.step,
                 handler=call.handler, attempts=record["attempts"])

    def _transient_failure(self, run: OrderRun, call, record: dict, error: str) -> None:
        record["error"] = error
        run.note("worker", "step.attempt_failed", step=call.step, handler=call.handler,
                 attempt=record["attempts"], error=error)
        if failures.may_retry(call, record["attempts"]):
            record["retry_at"] = next_attempt_at(run.now, record["attempts"], call.retry.base_s,
                                                 self.settings.retry_max_s)
            return
        record["retry_at"] = None
        self._give_up(run, call, STEP_FAILED, error, record["attempts"], incident_error=error)

    def _business_failure(self, run: OrderRun, call, record: dict, error: BusinessError) -> None:
        record.update(error=error.message, retry_at=None, finished_at=run.now)
        run.note("worker", "step.refused", step=call.step, handler=call.handler, error_code=error.code,
                 error=error.message)
        self._give_up(run, call, error.code, error.message, record["attempts"],
                      incident_error=f"{error.code}: {error.message}")

    def _give_up(self, run: OrderRun, call, code: str, message: str, attempts: int,
                 incident_error: str) -> None:
        """Hand a call that failed for good to the model (rules in app.engine.failures, shared
        with the simulator). A business code the model does not catch is a failed step (rolled
        back like one); if the model catches nothing at all, or a rollback step fails, an
        operator gets an incident: a rollback that cannot finish is never dropped silently."""
        if not call.compensates:
            step_book.find(run.steps, call.step)["state"] = "failed"
        outcome = failures.give_up(run.inst, call, code, message)
        if outcome == failures.COMPENSATION_FAILED:
            step_book.find(run.steps, call.compensates)["state"] = "compensation_failed"
            run.note("worker", "step.compensation_failed", step=call.compensates, handler=call.handler)
            run.open_incident(call.compensates, call.task_id, call.handler, incident_error, attempts)
        elif outcome == failures.UNCAUGHT:
            log.warning("order %s: BPMN error %s not handled by the model", run.doc["_id"], code)
            run.open_incident(call.step, call.task_id, call.handler, f"{code}: {message}", attempts)

    def _save(self, run: OrderRun, publish_context: bool) -> None:
        """Write what changed since the last save; nothing at all when nothing did."""
        changes = run.changes(publish_context)
        if not (changes or run.outbox or run.history):
            return
        saved = self.repo.save(run.doc["_id"], run.doc["version"], changes, outbox=run.outbox,
                               history=run.history, projection=SAVED_FIELDS)
        run.saved({**changes, **saved})
        self.boundary("after_save", run)
