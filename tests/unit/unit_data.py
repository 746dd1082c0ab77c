"""Shared test data for the unit tests."""
import copy
from datetime import datetime, timezone

from app.adapters.bank import seed

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)

DEPOSITOR = {
    "last_name": "Smirnov", "first_name": "Pavel", "middle_name": "Andreevich",
    "birth_date": "1988-05-17", "phone": "+79161234501",
    "passport": {"series": "4512", "number": "778899", "issued_on": "2008-06-01",
                 "issuer_code": "770-045"},
    "inn": "500100732259", "snils": "112-233-445 95",
}


def make_order(order_id="ord_1", depositor=None, results=None, project=None):
    p = project or seed.PROJECTS[0]
    return {
        "id": order_id, "company": "dev-1",
        "project": {"id": p["id"], "name": p["name"], "developer": p["developer"],
                    "developer_account": p["developer_account"]},
        "data": {"agreement": {"number": "DDU-17/2026", "date": "2026-11-01"},
                 "amount": 750_000_000, "escrow_until": "2029-06-30",
                 "depositor": copy.deepcopy(depositor or DEPOSITOR)},
        "results": dict(results or {}),
    }
