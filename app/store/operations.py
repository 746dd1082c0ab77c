"""What operators watch, counted in the orders collection (Prometheus gauges read these at
scrape time, app.observability.gauges). Count queries on indexed fields where there is one;
the outbox query reads only the orders that have unpublished events, as the relay's scan does."""
from app.domain import statuses
from app.store.documents import Order

BACKOFFICE = "backoffice"


def _coll():
    return Order._get_collection()


def orders_by_status() -> dict[str, int]:
    """Every status with its number of orders (0 included): one index count per status."""
    return {status: _coll().count_documents({"status": status}) for status in statuses.ALL}


def open_incidents() -> int:
    """Incidents waiting for an operator (an order with one is in INCIDENT)."""
    rows = _coll().aggregate([{"$match": {"status": statuses.INCIDENT, "incidents.status": "open"}},
                              {"$unwind": "$incidents"}, {"$match": {"incidents.status": "open"}},
                              {"$count": "n"}])
    return next(iter(rows), {}).get("n", 0)


def open_backoffice_tasks() -> list[dict]:
    """Open back-office tasks whose completion has not been accepted yet. They exist while the
    order is in BACKOFFICE_REVIEW, or in INCIDENT when something failed meanwhile."""
    found = _coll().find({"status": {"$in": [statuses.BACKOFFICE_REVIEW, statuses.INCIDENT]},
                          "open_tasks.lane": BACKOFFICE}, {"open_tasks": 1, "completed_tasks": 1})
    return [task for order in found for task in order["open_tasks"]
            if task.get("lane") == BACKOFFICE and task["id"] not in (order.get("completed_tasks") or {})]


def outbox_backlog() -> int:
    """Events committed in orders and not yet published."""
    rows = _coll().aggregate([{"$match": {"outbox.0": {"$exists": True}}},
                              {"$group": {"_id": None, "n": {"$sum": {"$size": "$outbox"}}}}])
    return next(iter(rows), {}).get("n", 0)
