"""How orders look to API callers, and the visibility rule (a manager sees own company only)."""
from flask import current_app
from flask_smorest import abort

from app.api.auth import Caller
from app.domain.clock import as_utc
from app.worker import steps as step_book


def system():
    return current_app.extensions["escrow"]


def visible_order(caller: Caller, order_id: str) -> dict:
    """The order if the caller may see it; 404 otherwise (no hint that it exists)."""
    order = system().repo.get(order_id)
    if order is None or not caller.sees_company(order["company"]):
        abort(404, message="order not found")
    return order


def _times(value):
    if isinstance(value, dict):
        return {k: _times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_times(v) for v in value]
    return as_utc(value) if hasattr(value, "tzinfo") else value


def order_summary(order: dict) -> dict:
    return {"id": order["_id"], "status": order["status"], "company": order["company"],
            "project": order["project"], "created_by": order.get("created_by"),
            "created_at": as_utc(order.get("created_at")), "updated_at": as_utc(order.get("updated_at")),
            "version": order.get("version", 0), "data": order["data"]}


def order_view(order: dict, history: list[dict] | None = None) -> dict:
    settings = current_app.config["ESCROW"]
    view = order_summary(order)
    warnings = []
    if order["data"].get("amount", 0) > settings.insured_limit_kopecks:
        warnings.append("amount exceeds the deposit insurance limit of 10 million roubles")
    view.update(
        model={k: order.get("model", {}).get(k) for k in ("name", "version")},
        results={k: v for k, v in order.get("results", {}).items() if k != "candidates"},
        steps=[_times(step_book.public_view(s)) for s in order.get("steps", [])],
        open_tasks=[_times({k: t.get(k) for k in ("id", "name", "lane", "due_at", "escalated")})
                    for t in order.get("open_tasks", [])],
        incidents=[_times(i) for i in order.get("incidents", [])],
        warnings=warnings,
        history=_times(history if history is not None else order.get("history", [])),
    )
    return view

