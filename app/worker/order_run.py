"""One order being advanced by the worker: its document, its engine instance, its pending writes.

Derived views (status, open user tasks, wake-up time) are recomputed from the engine after
every change, so they can never disagree with the process state.
"""
from datetime import datetime, timedelta

from app.domain import statuses
from app.domain.clock import as_utc
from app.domain.ids import new_id
from app.domain.plain import copy_plain, same_as_stored
from app.messaging import topics
from app.observability import trace
from app.store import process_state
from app.store.orders import context_marker, history_entry
from app.worker import steps as step_book


def new_incident(order_id: str, step: str, task_id: str | None, handler: str | None, error: str,
                 attempts: int, now: datetime) -> dict:
    """An incident: a step (or a whole command, task_id None) that needs an operator."""
    return {"id": new_id("inc"), "order_id": order_id, "step": step, "task_id": task_id,
            "handler": handler, "error": error, "attempts": attempts, "status": "open",
            "created_at": now, "closed_at": None, "closed_by": None, "reason": None}


def status_changed(order_id: str, old: str, new: str, at: datetime) -> dict:
    """The outbox event that tells other services an order's status changed."""
    return {"id": new_id("evt"), "topic": topics.EVENTS, "value": {
        "type": "order.status_changed", "order_id": order_id, "from": old, "to": new,
        "at": at.isoformat()}, **trace.outbox_fields()}


class OrderRun:
    def __init__(self, doc: dict, instance, now: datetime, settings):
        self.doc = doc
        self.inst = instance
        self.now = now
        self.settings = settings
        self.steps = copy_plain(doc.get("steps", []))  # compared with the stored ones on save
        self.results = dict(doc.get("results", {}))
        self.incidents = [dict(i) for i in doc.get("incidents", [])]
        self.applied = list(doc.get("applied_commands", []))
        self.status = doc.get("status") or statuses.DRAFT
        self.open_tasks = list(doc.get("open_tasks", []))
        self.outbox: list[dict] = []
        self.history: list[dict] = []
        self.actor = "process"  # who caused what this run does (the command's actor)
        # Forward service calls STARTED in the saved state: a run that died may have made them.
        self.waiting_at_load = {c.task_id for c in instance.pending_service_calls()
                                if not c.compensates} if doc.get("process") else set()

    # --- what the handlers see ------------------------------------------------------------
    def order_view(self) -> dict:
        """Handlers see the order and what earlier steps recorded (results), not engine data."""
        return {"id": self.doc["_id"], "company": self.doc["company"], "project": self.doc["project"],
                "data": self.doc["data"], "results": self.results}

    # --- changes ----------------------------------------------------------------------------
    def mark_applied(self, command_id: str) -> None:
        if command_id not in self.applied:
            self.applied = (self.applied + [command_id])[-self.settings.applied_commands_cap:]

    def note(self, actor: str, action: str, **detail) -> None:
        self.history.append(history_entry(actor, action, at=self.now, **detail))

    def open_incident(self, step: str, task_id: str, handler: str, error: str, attempts: int) -> dict:
        incident = new_incident(self.doc["_id"], step, task_id, handler, error, attempts, self.now)
        self.incidents.append(incident)
        self.note("worker", "incident.opened", incident_id=incident["id"], step=step, error=error)
        return incident

    def open_incident_for(self, task_id: str) -> dict | None:
        return next((i for i in self.incidents if i["task_id"] == task_id and i["status"] == "open"), None)

    def close_incident(self, incident: dict, actor: str, how: str, reason: str | None = None) -> None:
        incident.update(status=how, closed_at=self.now, closed_by=actor, reason=reason)
        self.note(actor, f"incident.{how}", incident_id=incident["id"], reason=reason)

    # --- derived views ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute status, user-task entries and the wake-up time from the engine."""
        self._sync_user_tasks()
        if any(i["status"] == "open" for i in self.incidents):
            new_status = statuses.INCIDENT
        else:
            new_status = self.inst.status() or statuses.PROCESSING
        if new_status != self.status:
            self._sync_service_steps()
            statuses.check_transition(self.status, new_status)
            self.note(self.actor, "status", **{"from": self.status, "to": new_status})
            self.outbox.append(status_changed(self.doc["_id"], self.status, new_status, self.now))
            self.status = new_status

    def _sync_service_steps(self) -> None:
        """A step whose task a cancel or a rollback interrupted before it ran shows so (checked
        when the status changes: interruptions change it)."""
        pending = {c.task_id for c in self.inst.pending_service_calls(include_failed=True)}
        for entry in self.steps:
            if entry.get("kind") != "user" and entry["state"] == "running" and entry["task_id"] not in pending:
                entry.update(state="interrupted", finished_at=self.now)

    def _sync_user_tasks(self) -> None:
        ready = {t.task_id: t for t in self.inst.ready_user_tasks()}
        for entry in self.steps:
            if entry.get("kind") == "user" and entry["state"] == "waiting" and entry["task_id"] not in ready:
                entry.update(state="completed" if entry.get("completed") else "interrupted",
                             finished_at=self.now)
        for task in ready.values():
            entry = step_book.enter(self.steps, task.step, task.label, None, task.task_id, self.now,
                                    state="waiting")
            entry["kind"] = "user"
        self.open_tasks = [self._task_view(t) for t in ready.values()]

    def _task_view(self, task) -> dict:
        previous = next((t for t in self.doc.get("open_tasks", []) if t["id"] == task.task_id), None)
        created_at = as_utc(previous["created_at"]) if previous else self.now
        sla_s = self.settings.backoffice_sla_s if task.lane == "backoffice" else None
        escalated = sla_s is not None and "backoffice_escalated_at" in self.results
        due_at = created_at + timedelta(seconds=sla_s) if sla_s else None
        return {"id": task.task_id, "step": task.step, "process": task.process,
                "name": task.label, "lane": task.lane,
                "form": task.form, "created_at": created_at, "due_at": due_at,
                "escalated": escalated, "priority": "high" if escalated else "normal",
                "data": self._task_data(task)}

    def _task_data(self, task) -> dict:
        """What a task's form needs: the back office chooses among the candidate client records."""
        candidates = task.data.get("candidates") or self.results.get("candidates")
        return {"candidates": candidates} if task.lane == "backoffice" and candidates else {}

    def next_wake_at(self) -> datetime | None:
        due = [as_utc(s["retry_at"]) for s in self.steps if s.get("retry_at")]
        due += [as_utc(s["compensation"]["retry_at"]) for s in self.steps
                if s.get("compensation") and s["compensation"].get("retry_at")]
        timer = self.inst.next_timer_at()
        if timer:
            due.append(as_utc(timer))
        return min(due) if due else None

    # --- the write --------------------------------------------------------------------------
    def changes(self, publish_context: bool) -> dict:
        """The fields to write: only what differs from the stored order (steps entry by entry).
        Empty when nothing changed (a redelivered command): then nothing is written at all."""
        current = {"status": self.status, "process": process_state.encode(self.inst.dump()),
                   "results": self.results, "open_tasks": self.open_tasks, "incidents": self.incidents,
                   "applied_commands": self.applied, "next_wake_at": self.next_wake_at()}
        changed = {k: v for k, v in current.items() if not same_as_stored(self.doc.get(k), v)}
        stored_steps = self.doc.get("steps", [])
        for i, entry in enumerate(self.steps):
            if i >= len(stored_steps) or not same_as_stored(stored_steps[i], entry):
                changed[f"steps.{i}"] = entry  # an index one past the end appends
        if publish_context and (changed or self.outbox or self.history):
            self.outbox.append(context_marker())
        return changed

    def saved(self, fields: dict) -> None:
        """The save went through: `fields` are what it wrote and what it read back."""
        # Copies: the live lists and dicts keep changing, the stored ones must not.
        steps = list(self.doc.get("steps", []))
        written = {}
        for key, value in fields.items():
            if key.startswith("steps."):  # an entry that changed (one past the end: a new one)
                index = int(key[len("steps."):])
                steps[index:index + 1] = [copy_plain(value)]
            else:
                written[key] = copy_plain(value)
        self.doc = {**self.doc, **written, "steps": steps}
        self.outbox, self.history = [], []
