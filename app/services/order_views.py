"""How an order looks to the people who may see it (API responses and pages alike)."""
from app.domain.clock import as_utc

INSURED_WARNING = "amount exceeds the deposit insurance limit of 10 million roubles"


def with_utc_times(value):
    """Every datetime inside as timezone-aware UTC (mongomock hands back naive ones)."""
    if isinstance(value, dict):
        return {k: with_utc_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_utc_times(v) for v in value]
    return as_utc(value) if hasattr(value, "tzinfo") else value


def warnings(data: dict, settings) -> list[str]:
    return [INSURED_WARNING] if data.get("amount", 0) > settings.insured_limit_kopecks else []


def public_step(entry: dict) -> dict:
    """A step record of the order document as callers see it (no task ids, no retry times)."""
    view = {k: entry.get(k) for k in ("name", "label", "handler", "state", "attempts",
                                      "started_at", "finished_at", "error")}
    if entry.get("instance") is not None:  # one of a multi-instance activity's instances
        view["instance"] = entry["instance"]
    if entry.get("compensation"):
        c = entry["compensation"]
        view["compensation"] = {k: c.get(k) for k in ("handler", "attempts", "started_at",
                                                      "finished_at", "error")}
    return view


def order_summary(order: dict) -> dict:
    return {"id": order["_id"], "status": order["status"], "company": order["company"],
            "project": order["project"], "created_by": order.get("created_by"),
            "created_at": as_utc(order.get("created_at")), "updated_at": as_utc(order.get("updated_at")),
            "version": order.get("version", 0), "data": order["data"]}


def order_view(order: dict, settings, history: list[dict] | None = None) -> dict:
    view = order_summary(order)
    view.update(
        model={k: order.get("model", {}).get(k) for k in ("name", "version")},
        results={k: v for k, v in order.get("results", {}).items() if k != "candidates"},
        steps=[with_utc_times(public_step(s)) for s in order.get("steps", [])],
        open_tasks=[with_utc_times({k: t.get(k) for k in ("id", "name", "lane", "due_at", "escalated")})
                    for t in order.get("open_tasks", [])],
        incidents=[with_utc_times(i) for i in order.get("incidents", [])],
        warnings=warnings(order["data"], settings),
        history=with_utc_times(history if history is not None else order.get("history", [])),
    )
    return view
