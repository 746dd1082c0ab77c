"""The user-task inbox: list, show, claim, unclaim, complete (through Kafka, like every change)."""
import uuid

from app.domain.clock import as_utc, utcnow
from app.forms import load_form
from app.forms.form import DEFAULT_LANG
from app.messaging import commands
from app.domain.caller import ADMIN, BACKOFFICE, MANAGER, Caller
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.store.orders import history_entry

# Which roles may work a lane's tasks. Managers see that their company's order waits for a
# task, never the task's data (the candidate records are other people's personal data).
LANE_ROLES = {"backoffice": {BACKOFFICE, ADMIN}}
WORKERS = {role for roles in LANE_ROLES.values() for role in roles}
TASK_FIELDS = {"open_tasks": 1, "claims": 1, "company": 1, "completed_tasks": 1, "data": 1,
               "status": 1}


def may_work(caller: Caller, lane: str | None) -> bool:
    return caller.role in LANE_ROLES.get(lane, set())


def is_overdue(task: dict, now) -> bool:
    """Escalated by the process, or past its SLA due time."""
    due_at = as_utc(task.get("due_at"))
    return bool(task.get("escalated") or (due_at and due_at < now))


def waiting_tasks(order: dict) -> list[dict]:
    """The order's open tasks whose completion has not been accepted yet (once it is, the
    worker is applying it and the task is no one's work any more)."""
    done = order.get("completed_tasks") or {}
    return [t for t in order.get("open_tasks", []) if t["id"] not in done]


def task_view(caller: Caller, order: dict, task: dict, now=None) -> dict:
    now = now or utcnow()
    due_at = as_utc(task.get("due_at"))
    works = may_work(caller, task.get("lane"))
    view = {"id": task["id"], "order_id": order["_id"], "process": task.get("process", task["step"]),
            "step": task["step"], "name": task["name"], "lane": task.get("lane"),
            "claimed_by": order.get("claims", {}).get(task["id"]),
            "created_at": as_utc(task.get("created_at")), "due_at": due_at,
            "overdue": is_overdue(task, now),
            "priority": task.get("priority", "normal"), "form": task.get("form"),
            "can_complete": works, "data": {}, "buyer": None}
    if works:  # the clerk compares the buyer from the order with the candidate records
        view["data"] = task.get("data", {})
        view["buyer"] = buyer_of(order)
    return view


def buyer_of(order: dict) -> dict:
    depositor = (order.get("data") or {}).get("depositor") or {}
    keys = ("last_name", "first_name", "middle_name", "birth_date", "passport", "inn", "snils")
    return {k: depositor.get(k) for k in keys}


def list_tasks(system, caller: Caller, process: str | None = None, overdue: bool | None = None,
               mine: bool = False, claimed: bool | None = None) -> list[dict]:
    """Open tasks the caller may see, most urgent first."""
    query = {"open_tasks.0": {"$exists": True}}
    if caller.role == MANAGER:
        query["company"] = caller.company
    elif caller.role not in WORKERS:
        return []
    now, found = utcnow(), []
    for order in system.repo.find(query, projection=TASK_FIELDS):
        for task in waiting_tasks(order):
            if caller.role == MANAGER or may_work(caller, task.get("lane")):
                found.append(task_view(caller, order, task, now))
    if process is not None:
        found = [t for t in found if t["process"] == process]
    if overdue is not None:
        found = [t for t in found if t["overdue"] == overdue]
    if mine:
        found = [t for t in found if t["claimed_by"] == caller.id]
    if claimed is not None:
        found = [t for t in found if (t["claimed_by"] is not None) == claimed]
    found.sort(key=lambda t: (not t["overdue"], t["due_at"] or t["created_at"]))
    return found


def find_task(system, caller: Caller, task_id: str) -> tuple[dict, dict]:
    """(order, task) of an open task the caller may work; NotFound, Conflict or Forbidden."""
    try:
        task_id = str(uuid.UUID(task_id))  # engine task ids; anything else names no task
    except (ValueError, TypeError):
        raise NotFound("task not found") from None
    found = system.repo.find({"$or": [{"open_tasks.id": task_id},
                                      {f"completed_tasks.{task_id}": {"$exists": True}}]})
    order = found[0] if found else None
    if order is None or not caller.sees_company(order["company"]):
        raise NotFound("task not found")
    if task_id in order.get("completed_tasks", {}):
        raise Conflict("task already completed")
    task = next((t for t in order["open_tasks"] if t["id"] == task_id), None)
    if task is None:
        raise NotFound("task not found")
    if not may_work(caller, task.get("lane")):
        raise Forbidden(f"role {caller.role} may not work tasks of lane {task.get('lane')}")
    return order, task


def show_task(system, caller: Caller, task_id: str) -> dict:
    order, task = find_task(system, caller, task_id)
    return task_view(caller, order, task)


def claim(system, caller: Caller, task_id: str) -> dict:
    """Take a task: only the claimant may then complete it."""
    order, task = find_task(system, caller, task_id)
    updated = system.repo.update_fields(
        {"_id": order["_id"], "$or": [{f"claims.{task_id}": {"$exists": False}},
                                      {f"claims.{task_id}": caller.id}]},
        {"$set": {f"claims.{task_id}": caller.id}})
    if updated is None:
        claimant = system.repo.get(order["_id"])["claims"][task_id]
        raise Conflict(f"task is claimed by {claimant}", claimed_by=claimant)
    return task_view(caller, updated, task)


def unclaim(system, caller: Caller, task_id: str) -> dict:
    """Give a task back to the team (an admin may take it from anyone)."""
    order, task = find_task(system, caller, task_id)
    claimant = order.get("claims", {}).get(task_id)
    if claimant not in (None, caller.id) and caller.role != ADMIN:
        raise Conflict(f"task is claimed by {claimant}", claimed_by=claimant)
    updated = system.repo.update_fields({"_id": order["_id"]}, {"$unset": {f"claims.{task_id}": ""}})
    return task_view(caller, updated, task)


def task_form(system, task: dict):
    return load_form(system.settings.forms_dir, task["form"]) if task.get("form") else None


def complete(system, caller: Caller, task_id: str, data: dict, lang: str = DEFAULT_LANG) -> dict:
    """Complete a task with its form data (validated against the task's form; the field
    messages in `lang`)."""
    order, task = find_task(system, caller, task_id)
    claimant = order.get("claims", {}).get(task_id)
    if claimant not in (None, caller.id):
        raise Conflict(f"task is claimed by {claimant}", claimed_by=claimant)
    form = task_form(system, task)
    if form is not None:
        problems = form.validate(data, task.get("data", {}), lang)
        if problems:
            raise Invalid(problems)
    command = commands.Command(type=commands.COMPLETE_TASK, order_id=order["_id"], actor=caller.id,
                               payload={"task_id": task_id, "data": data})
    updated = system.repo.append(
        order["_id"], outbox=[command.outbox_event()],
        history=[history_entry(caller.id, "task.completion_requested", step=task["step"], data=data)],
        set_fields={f"completed_tasks.{task_id}": {"by": caller.id, "at": utcnow()}},
        condition={f"completed_tasks.{task_id}": {"$exists": False}})
    if updated is None:
        raise Conflict("task already completed")
    return task_view(caller, updated, task)
