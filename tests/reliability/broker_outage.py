"""`python -m tests.reliability.broker_outage BOOTSTRAP BROKER_PID`: orders through a broker outage.

Run by tests/reliability/test_broker_outage.py in a process of its own (one system per process:
the store connection is global), against a broker in another process
(`python -m app.messaging.broker`). The broker process is frozen (SIGSTOP: it keeps its port and
its state, and answers nothing, like a broker behind a network partition) while orders are
created, then thawed. Prints one JSON line with what happened.
"""
import json
import os
import signal
import sys
import time

from app.api.factory import create_app
from app.bootstrap import build
from tests.e2e.harness import headers, order_body

ORDERS = 3


def main(bootstrap: str, broker_pid: int) -> dict:
    system = build(kafka_bootstrap=bootstrap, retry_base_s=0.02, retry_max_s=0.2,
                   scheduler_interval_s=0.02, relay_interval_s=0.01, sign_wait_s=0.0)
    system.start_background()
    client = create_app(system).test_client()
    out = {}
    try:
        before = [_create(client, 100 + n) for n in range(ORDERS)]
        out["before"] = _wait(client, before, "AWAITING_SIGNATURE", 60)
        os.kill(broker_pid, signal.SIGSTOP)
        try:
            down_at = time.monotonic()
            during = [_create(client, 200 + n) for n in range(ORDERS)]   # the API keeps accepting
            out["accepted_while_down"] = len(during)
            out["health_while_down"] = _health(client)
            time.sleep(max(0.0, 3.0 - (time.monotonic() - down_at)))
            out["progress_while_down"] = [_status(client, o) for o in during]
        finally:
            os.kill(broker_pid, signal.SIGCONT)
        out["after"] = _wait(client, during, "AWAITING_SIGNATURE", 90)
        out["health_after"] = _health(client)
        out["effects"] = [system.bank.snapshot_for_order(o)["effects"] for o in before + during]
    finally:
        system.stop()
    return out


def _create(client, n: int) -> str:
    response = client.post("/api/v1/orders", json=order_body(passport=("4811", f"{n:06d}")), headers=headers("m1"))
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def _status(client, order_id: str) -> str:
    return client.get(f"/api/v1/orders/{order_id}", headers=headers("m1")).get_json()["status"]


def _wait(client, orders: list[str], status: str, timeout_s: float) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_status(client, o) != status for o in orders):
        time.sleep(0.1)
    return [_status(client, o) for o in orders]


def _health(client) -> dict:
    """Readiness as the deployment sees it: /readyz where it exists, else /healthz."""
    for path in ("/readyz", "/healthz"):
        response = client.get(path)
        if response.status_code != 404:
            return {"path": path, "code": response.status_code, "body": response.get_json()}
    return {}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]))), flush=True)
