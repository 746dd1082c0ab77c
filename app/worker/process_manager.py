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
from app.store.orders import ConcurrencyError
from app.worker import steps as step_book
from app.worker import incidents
from app.worker.order_run import OrderRun
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
            self.boundary_hook(name, run.doc["_id"], {"version": run.doc.get("version"), **info})

    # --- entry ----------------------------------------------------------------------------
    def handle(self, command: cmd.Command) -> None:
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                return self._handle_once(command)
            except ConcurrencyError:
                log.info("order %s changed under us; reloading", command.order_id)
        raise ConcurrencyError(command.order_id)

    def record_failure(self, order_id: str, what: str, error: str,
                       command: cmd.Command | None = None) -> None:
        """A command (or message) that could not be handled: an incident on its order."""
        incidents.record_failure(self.repo, order_id, what, error, command, self.clock())

    def _handle_once(self, command: cmd.Command) -> None:
        doc = self.repo.get(command.order_id)
        if doc is None:
            raise OrderMissing(command.order_id)
        run = self._load(doc)
        run.actor = command.actor
        self.boundary("loaded", run, command=command.type)
        # An accepted signature goes first, whatever this command is: a code timer that fires
        # meanwhile must not expire a signature the API already accepted.
        self._apply_accepted_signature(run, command)
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
            self._apply_cancel_request(run)  # as the API accepted it on the order
        elif command.type == cmd.COMPLETE_TASK:
            self._complete_user_task(run, p["task_id"], p.get("data", {}), command.actor)
        elif command.type == cmd.SIGNATURE_CONFIRMED:
            log.warning("order %s: signature %s was not accepted on the order; ignored",
                        command.order_id, command.id)  # an accepted one was applied on load
        elif command.type == cmd.NEW_CODE_REQUESTED:
            inst.send_message("new_code_requested", {})
            run.note(command.actor, "signature.code_requested")
        elif command.type == cmd.RETRY_INCIDENT:
            self._retry_incident(run, p["incident_id"], command.actor)
        elif command.type == cmd.RESOLVE_INCIDENT:
            self._resolve_incident(run, p["incident_id"], command.actor, p.get("reason", ""))
        # WAKE needs nothing: advancing fires due timers and due retries.

    def _apply_accepted_signature(self, run: OrderRun, command: cmd.Command) -> None:
        """Complete the signing task with the signature the API accepted (`signature_accepted`),
        once. Never together with a cancel: the API accepts one of the two."""
        request = run.doc.get("signature_accepted") or {}
        if not request or request["command_id"] in run.applied or run.doc.get("cancel_requested"):
            return
        run.mark_applied(request["command_id"])
        task = next((t for t in run.inst.ready_user_tasks() if t.step == "sign_order"), None)
        if task is None:
            return
        if command.id == request["command_id"]:
            evidence = command.payload.get("evidence", {})
        else:  # another command came first; the evidence is the signing service's
            evidence = (self.services.signing.state(run.doc["_id"], run.now) or {}).get("evidence", {})
        actor = request.get("actor", command.actor)
        self._complete_user_task(run, task.task_id, {"signed": True}, actor, record=False)
        run.note(actor, "order.signed", evidence=evidence)

    def _apply_cancel_request(self, run: OrderRun) -> None:
        """Act on the cancel the API accepted on the order (`cancel_requested`), once.

        The API accepts either a cancel or a signature, never both (one conditional write), and
        the worker applies only what the order says was accepted: both are never applied. The
        API wrote the history entry `order.cancel_requested`; the status change records the rest.
        """
        request = run.doc.get("cancel_requested") or {}
        if not request or request.get("command_id") in run.applied:
            return
        run.mark_applied(request["command_id"])
        if run.inst.is_completed() or run.doc.get("signature_accepted"):
            return
        actor = request.get("actor", "api")
        for incident in run.incidents:
            if incident["status"] == "open":
                run.close_incident(incident, actor, "superseded", "order cancelled")
        interrupted = [c for c in run.inst.pending_service_calls() if self._may_have_run(run, c)]
        if run.inst.send_message("cancel_order", {"reason": request.get("reason", "")}):
            for call in interrupted:
                self._count_as_done(run, call)

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
        if incident["task_id"] is None:  # a command that failed: apply it again, run the saga
            failed = cmd.Command(**incident["command"]) if incident.get("command") else None
            if failed is not None and failed.id not in run.applied:
                self._apply(run, failed)
                run.mark_applied(failed.id)
            return
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
        same idempotency key); read-only steps are saved before the next step with a bank
        effect (one save per pass, not per lookup). The pass's last save
        also publishes the context record (escrow.order-context): a context a few steps behind
        is safe to resume from, for the same reason.
        """
        run.inst.advance(run.now)
        run.refresh()
        call = self._next_call(run)
        if call is None:
            return self._save(run, publish_context=True)
        shown = set(run.waiting_at_load)  # calls the saved state shows waiting
        while call is not None:
            if call.task_id not in shown and self._has_effect(call):
                # Write ahead: a bank call is made only from a saved state that shows it waiting
                # (after lookups, which are not saved on their own), so that after a crash a
                # cancel or a rollback knows the call may have happened.
                self._save(run, publish_context=False)
            checkpoint = self._run_call(run, call)
            run.inst.advance(run.now)
            run.refresh()
            call = self._next_call(run)
            if checkpoint or call is None:
                self._save(run, publish_context=call is None)
                shown = {call.task_id} if call is not None else set()

    def _has_effect(self, call) -> bool:
        """A forward call that changes something in the bank (not a lookup, not an undo)."""
        return not call.compensates and not getattr(self.handlers.get(call.handler), "read_only", False)

    def _next_call(self, run: OrderRun):
        """The next service call that is due, after acting on a cancel that came meanwhile."""
        run.now = self.clock()
        if self._cancel_pending(run):
            # The API marks a cancel on the document at once; act on it between steps.
            self._apply_cancel_request(run)
            run.inst.advance(run.now)
            run.refresh()
        return self._next_due_call(run)

    @staticmethod
    def _cancel_pending(run: OrderRun) -> bool:
        request = run.doc.get("cancel_requested") or {}
        return bool(request) and request.get("command_id") not in run.applied

    def _cancel_arrived(self, run: OrderRun) -> bool:
        """Right before a step's handler: has a cancel been accepted that this run has not
        acted on? One small read by id (the cancel flag only), so that no step starts after a
        cancel was accepted; a save reads the flag back too, read-only steps do not save."""
        if not run.doc.get("cancel_requested"):
            run.doc["cancel_requested"] = self.repo.cancel_request(run.doc["_id"])
        return self._cancel_pending(run)

    def _may_have_run(self, run: OrderRun, call) -> bool:
        """Whether a pending forward call may already have taken effect: its task was waiting
        in the saved state (a run that died after calling it leaves it so), or this run tried
        it (a timeout may come after the effect). Lookups change nothing."""
        if not self._has_effect(call):
            return False
        entry = step_book.find(run.steps, call.step, call.instance)
        return call.task_id in run.waiting_at_load or bool(
            entry and entry["task_id"] == call.task_id and entry["attempts"])

    def _count_as_done(self, run: OrderRun, call) -> None:
        """An interrupted call that may have taken effect is compensated with its scope."""
        run.inst.count_as_done(call.task_id)
        run.note("worker", "step.interrupted", step=call.step, handler=call.handler,
                 detail="its call may have taken effect: compensated with the others")

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
            entry = step_book.find(run.steps, call.compensates, call.instance) or step_book.enter(
                run.steps, call.compensates, call.compensates, None, f"unknown:{call.compensates}", run.now,
                instance=call.instance)
            return step_book.compensation(entry, call.handler, call.task_id, run.now)
        return step_book.enter(run.steps, call.step, call.label, call.handler, call.task_id, run.now,
                               instance=call.instance)

    def _run_call(self, run: OrderRun, call) -> bool:
        """Run one handler and apply its outcome; False when no checkpoint is needed yet (a
        read-only step that succeeded: repeating it after a crash changes nothing)."""
        record = self._record_for(run, call)
        entry = step_book.find(run.steps, call.compensates or call.step, call.instance)
        instance = f"[{call.instance}]" if call.instance is not None else ""
        key = f"{run.doc['_id']}/{call.compensates or call.step}{instance}/{entry['visit']}"
        if call.compensates:
            key += "/compensate"
        step_call = StepCall(order_id=run.doc["_id"], order=run.order_view(), params=call.params,
                             idempotency_key=key, attempt=record["attempts"] + 1,
                             services=self.services, settings=self.settings, now=run.now, step=call.step)
        self.boundary("before_handler", run, step=call.step, handler=call.handler,
                      compensates=call.compensates, attempt=record["attempts"] + 1)
        if not call.compensates and self._cancel_arrived(run):
            return False  # the loop acts on the cancel; this step does not start
        record["attempts"] += 1
        try:
            outcome = self.handlers[call.handler](step_call)
        except TransientError as error:
            self.boundary("after_handler", run, step=call.step, handler=call.handler,
                          compensates=call.compensates, attempt=record["attempts"], error=str(error))
            self._transient_failure(run, call, record, str(error))
            return True
        except BusinessError as error:
            self.boundary("after_handler", run, step=call.step, handler=call.handler,
                          compensates=call.compensates, attempt=record["attempts"], error=error.code)
            self._business_failure(run, call, record, error)
            return True
        self.boundary("after_handler", run, step=call.step, handler=call.handler,
                      compensates=call.compensates, attempt=record["attempts"])
        run.results.update(outcome.results)
        self._finish_call(run, call, outcome.variables)
        return not getattr(self.handlers[call.handler], "read_only", False)

    def _finish_call(self, run: OrderRun, call, variables: dict, manual: bool = False) -> None:
        record = self._record_for(run, call)
        record.update(finished_at=run.now, error=None, retry_at=None)
        entry = step_book.find(run.steps, call.compensates or call.step, call.instance)
        if not (call.compensates and entry["state"] == "failed"):
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
        outcome = self._give_up(run, call, STEP_FAILED, error, record["attempts"], incident_error=error)
        if outcome == failures.THROWN and self._may_have_run(run, call):
            self._count_as_done(run, call)  # a timeout may have come after the effect

    def _business_failure(self, run: OrderRun, call, record: dict, error: BusinessError) -> None:
        record.update(error=error.message, retry_at=None, finished_at=run.now)
        run.note("worker", "step.refused", step=call.step, handler=call.handler, error_code=error.code,
                 error=error.message)
        self._give_up(run, call, error.code, error.message, record["attempts"],
                      incident_error=f"{error.code}: {error.message}")

    def _give_up(self, run: OrderRun, call, code: str, message: str, attempts: int,
                 incident_error: str) -> str:
        """Hand a call that failed for good to the model (rules in app.engine.failures, shared
        with the simulator). A business code the model does not catch is a failed step (rolled
        back like one); if the model catches nothing at all, or a rollback step fails, an
        operator gets an incident: a rollback that cannot finish is never dropped silently."""
        if not call.compensates:
            step_book.find(run.steps, call.step, call.instance)["state"] = "failed"
        outcome = failures.give_up(run.inst, call, code, message)
        if outcome == failures.COMPENSATION_FAILED:
            step_book.find(run.steps, call.compensates, call.instance)["state"] = "compensation_failed"
            run.note("worker", "step.compensation_failed", step=call.compensates, handler=call.handler)
            run.open_incident(call.compensates, call.task_id, call.handler, incident_error, attempts)
        elif outcome == failures.UNCAUGHT:
            log.warning("order %s: BPMN error %s not handled by the model", run.doc["_id"], code)
            run.open_incident(call.step, call.task_id, call.handler, f"{code}: {message}", attempts)
        return outcome

    def _save(self, run: OrderRun, publish_context: bool) -> None:
        """Write what changed since the last save; nothing at all when nothing did."""
        changes = run.changes(publish_context)
        if not (changes or run.outbox or run.history):
            return
        saved = self.repo.save(run.doc["_id"], run.doc["version"], changes, SAVED_FIELDS,
                               outbox=run.outbox, history=run.history)
        run.saved({**changes, **saved})
        self.boundary("after_save", run)
