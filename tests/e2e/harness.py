"""Drive the whole system through its API, as a client would."""
import time
from datetime import date

TOKENS = {"m1": "demo-manager-1", "m2": "demo-manager-2", "bo": "demo-backoffice",
          "analyst": "demo-analyst", "admin": "demo-admin"}
EXISTING_CLIENT_PASSPORT = ("4510", "123456")
DUPLICATE_CLIENT_PASSPORT = ("4510", "654321")


def headers(who: str = "m1", **extra) -> dict:
    return {"Authorization": f"Bearer {TOKENS[who]}", **extra}


def order_body(passport=("4600", "100001"), **overrides) -> dict:
    body = {
        "project_id": "p-dev1-sunrise",
        "agreement": {"number": "DDU-17/2026", "date": "2026-11-20"},
        "amount": 1_250_000_000,
        "escrow_until": f"{date.today().year + 2}-12-31",
        "depositor": {"last_name": "Ivanova", "first_name": "Anna", "middle_name": "Petrovna",
                      "birth_date": "1985-04-12", "phone": "+79161234567",
                      "passport": {"series": passport[0], "number": passport[1],
                                   "issued_on": "2015-05-20", "issuer_code": "770-001"},
                      "inn": "500100732259", "snils": "112-233-445 95"},
    }
    body.update(overrides)
    return body


class Api:
    def __init__(self, client):
        self.client = client

    def create(self, who="m1", body=None, **headers_extra) -> str:
        response = self.client.post("/api/v1/orders", json=body or order_body(),
                                    headers=headers(who, **headers_extra))
        assert response.status_code == 202, response.get_json()
        return response.get_json()["id"]

    def order(self, order_id: str, who="m1") -> dict:
        response = self.client.get(f"/api/v1/orders/{order_id}", headers=headers(who))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def wait_status(self, order_id: str, *statuses, who="m1", timeout=20.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            order = self.order(order_id, who)
            if order["status"] in statuses:
                return order
            if time.monotonic() > deadline:
                raise AssertionError(f"order {order_id} is {order['status']}, expected {statuses}; "
                                     f"steps={order['steps']} incidents={order['incidents']}")
            time.sleep(0.02)

    def post(self, path: str, who="m1", json=None):
        return self.client.post(path, json=json if json is not None else {}, headers=headers(who))

    def get(self, path: str, who="m1", **params):
        return self.client.get(path, headers=headers(who), query_string=params)


def step(order: dict, name: str) -> dict:
    return next(s for s in order["steps"] if s["name"] == name)


def eventually(check, timeout: float = 10.0, interval: float = 0.02):
    """Poll `check` until it returns something truthy; fail with its last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"condition not met within {timeout} s"
            return value
        time.sleep(interval)
