"""Bookkeeping of an order's steps as the API shows them (pure functions on the document)."""
from datetime import datetime


def find(steps: list[dict], name: str, instance: str | None = None) -> dict | None:
    """The entry of step `name` (of one instance of a multi-instance activity: "0", "1/2")."""
    return next((s for s in steps if s["name"] == name and s.get("instance") == instance), None)


def enter(steps: list[dict], name: str, label: str, handler: str | None, task_id: str,
          now: datetime, state: str = "running", instance: str | None = None) -> dict:
    """The entry for this visit of a step; a new task id means the step was entered again.
    Each instance of a multi-instance activity has an entry of its own: its attempts, retry
    time and visits (so its idempotency key) are its own, whatever the others do meanwhile."""
    entry = find(steps, name, instance)
    if entry is None:
        entry = {"name": name, "label": label, "handler": handler, "state": state, "attempts": 0,
                 "visit": 0, "task_id": None, "started_at": None, "finished_at": None, "error": None}
        if instance is not None:
            entry["instance"] = instance
        steps.append(entry)
    if entry["task_id"] != task_id:
        entry.update(task_id=task_id, visit=entry["visit"] + 1, attempts=0, state=state,
                     started_at=now, finished_at=None, error=None, retry_at=None)
    return entry


def compensation(entry: dict, handler: str, task_id: str, now: datetime) -> dict:
    """The compensation record inside the compensated step's entry."""
    comp = entry.get("compensation")
    if not comp or comp["task_id"] != task_id:
        comp = {"handler": handler, "task_id": task_id, "attempts": 0, "started_at": now,
                "finished_at": None, "error": None, "retry_at": None}
        entry["compensation"] = comp
    if entry["state"] != "failed":  # a failed step undone as a precaution still shows it failed
        entry["state"] = "compensating"
    return comp
