"""The operator's figures, computed from the store in a few grouped queries.

Each function returns plain numbers and dicts (no Flask, no caller) so the metrics endpoint
reads the same figures (app.observability.gauges, at every scrape: each query is answered from
an index); `summary` is the dashboard page's use case (administrators only).
"""
from datetime import datetime, timedelta

from app.domain import statuses
from app.domain.clock import as_utc, utcnow
from app.domain.caller import ADMIN, Caller
from app.services.errors import require_role
from app.services.tasks import is_overdue, waiting_tasks
from app.store.documents import Project

RECENT = timedelta(hours=1)
FAILED = ("step.attempt_failed", "step.refused")
# every attempt ends in one of these; an attempt numbered 2 or more was a retry
ATTEMPT_ENDS = ("step.attempt_failed", "step.completed", "step.compensated")
BACKOFFICE = "backoffice"


def orders_by_status(system) -> dict[str, int]:
    """Statuses that have orders, with how many: one count per status (an index count on
    MongoDB: Prometheus reads this at every scrape)."""
    counts = {status: system.repo.count({"status": status}) for status in statuses.ALL}
    return {status: n for status, n in counts.items() if n}


def orders_by_company(system) -> dict[str, int]:
    return system.repo.count_by("company")


def company_names() -> dict[str, str]:
    """Company id -> the developer's name (from the projects)."""
    return {p.developer: p.developer_name or p.developer for p in Project.objects.only("developer", "developer_name")}


def _attempt_number(entry: dict) -> int:
    detail = entry.get("detail") or {}
    return int(detail.get("attempt") or detail.get("attempts") or 1)


def step_activity(system, since: datetime) -> list[dict]:
    """Steps that failed or were retried since `since`, most failures first:
    [{step, handler, failures, retries, orders: [order id, ...]}]. A failure is an attempt
    that failed (a transient error or a refusal); a retry is an attempt after the first."""
    by_step: dict[str, dict] = {}
    for entry in system.repo.history_since(sorted(set(FAILED + ATTEMPT_ENDS)), since):
        detail = entry.get("detail") or {}
        failed = entry["action"] in FAILED
        # an operator's resolution by hand finishes a step without another attempt
        retried = (entry["action"] in ATTEMPT_ENDS and entry.get("actor") != "operator"
                   and _attempt_number(entry) > 1)
        if not (failed or retried):
            continue
        row = by_step.setdefault(detail.get("step"), {"step": detail.get("step"), "handler": detail.get("handler"),
                                                      "failures": 0, "retries": 0, "orders": []})
        row["failures"] += failed
        row["retries"] += retried
        if entry["order_id"] not in row["orders"]:
            row["orders"].append(entry["order_id"])
    return sorted(by_step.values(), key=lambda r: (-r["failures"], -r["retries"], r["step"] or ""))


def backoffice_queue(system, now: datetime) -> dict:
    """Open back-office tasks: how many, how many overdue, and the oldest one."""
    found = system.repo.find({"open_tasks.lane": BACKOFFICE},
                             projection={"open_tasks": 1, "completed_tasks": 1})
    tasks = [(order["_id"], t) for order in found for t in waiting_tasks(order) if t.get("lane") == BACKOFFICE]
    oldest = min(tasks, key=lambda pair: as_utc(pair[1]["created_at"]), default=None)
    return {"open": len(tasks), "overdue": sum(is_overdue(t, now) for _, t in tasks),
            "oldest": oldest and {"task_id": oldest[1]["id"], "order_id": oldest[0],
                                  "created_at": as_utc(oldest[1]["created_at"])}}


def open_incidents(system) -> dict:
    """Open incidents: how many, and when the oldest was opened."""
    found = system.repo.find({"incidents.status": "open"}, projection={"incidents": 1})
    opened = [as_utc(i["created_at"]) for order in found for i in order["incidents"] if i["status"] == "open"]
    return {"open": len(opened), "oldest_at": min(opened, default=None)}


def summary(system, caller: Caller, now: datetime | None = None) -> dict:
    require_role(caller, (ADMIN,), "see the dashboard")
    now = now or utcnow()
    return {"at": now, "since": now - RECENT,
            "by_status": orders_by_status(system), "by_company": orders_by_company(system),
            "companies": company_names(), "steps": step_activity(system, now - RECENT),
            "queue": backoffice_queue(system, now), "incidents": open_incidents(system)}
