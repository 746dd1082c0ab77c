"""Any number of workers share one bank: the bank core is a service of its own over HTTP.

What runs where, and why: Kafka is `python -m app.messaging.broker` and the bank is
`python -m app.adapters.bank.server`, each a process of its own. The workers are two threads
of this test process, each with its own consumer in the one group and its own HttpBank client
(own connection pool), because the order store here is mongomock, which lives inside one
process: two worker processes would each see an empty store of their own. Over HTTP a thread
and a process are the same kind of client, so what this shows is what matters for scaling
out: the bank's state is in one place, every effect happens there once, whichever worker
(and however many retries) asked. The bank server process is tested on its own in
test_bank_service_process; the worker process's shutdown in test_graceful_stop.
"""
import copy
import dataclasses
import time

import pytest

from app.adapters.bank.http import HttpBank, simulator_admin
from app.api.factory import create_app
from app.bootstrap import build
from tests.e2e.conftest import FAST
from tests.e2e.harness import Api, order_body
from tests.ops.servers import Service

ORDERS = 12
SAGA = {"clients.create_depositor": 1, "escrow.reserve_account": 1, "escrow.bind_to_developer": 1,
        "orders.create_depositor_order": 1}


@pytest.fixture(scope="module")
def services():
    with Service("app.messaging.broker") as broker, \
            Service("app.adapters.bank.server", "--port", "0", name="bank") as bank:
        yield broker.address, bank.address


def test_two_workers_share_one_bank_each_effect_once(services):
    broker, bank_url = services
    system = build(**FAST, kafka_bootstrap=broker, bank_url=bank_url)
    try:
        assert isinstance(system.bank, HttpBank), "no simulator inside the application"
        second = copy.copy(system.process_manager)
        second.services = dataclasses.replace(second.services, bank=HttpBank(bank_url))
        system.start_background(workers=1)
        system.add_worker("worker-2", process_manager=second)
        _wait(lambda: all(c.partitions for c in system.consumers)
              and sum(len(c.partitions) for c in system.consumers) == 4, "both workers assigned")

        admin = simulator_admin(bank_url)
        admin.set_fault("escrow.bind_to_developer", 1, after_effect=True)  # bound, then a 503
        api = Api(create_app(system).test_client())
        in_process_only = api.post("/api/v1/dev/faults", who="admin",
                                   json={"operation": "escrow.reserve_account", "fail_times": 1})
        assert in_process_only.status_code == 409 and "/admin/v1/set_fault" in in_process_only.get_json()["message"]
        ids = [api.create(body=order_body(passport=("4601", f"{200000 + n}"))) for n in range(ORDERS)]
        for order_id in ids:
            api.wait_status(order_id, "AWAITING_SIGNATURE", timeout=60)

        assert all(c.handled > 0 for c in system.consumers), [c.handled for c in system.consumers]
        for order_id in ids:  # the books, read from the bank service over HTTP
            assert admin.effects(order_id) == SAGA, order_id
            assert admin.snapshot_for_order(order_id)["active"] == {
                "clients": 1, "reservations": 1, "bindings": 1, "depositor_orders": 1}
        assert sum(admin.effects().values()) == ORDERS * len(SAGA)
        assert admin.faults() == {}, "the injected fault was met, and its retry replayed"
    finally:
        system.stop()


def test_bank_service_process(services):
    """The bank server process itself: the port over HTTP, its books, a clean stop."""
    with Service("app.adapters.bank.server", "--port", "0", name="bank") as server:
        bank = HttpBank(server.address)
        client_id = bank.create_client(order_body()["depositor"], idempotency_key="k", order_id="o1")
        assert bank.create_client(order_body()["depositor"], idempotency_key="k", order_id="o1") == client_id
        assert simulator_admin(server.address).effects("o1") == {"clients.create_depositor": 1}
        assert server.terminate() == 0, server.log()
        assert "Starting gunicorn" in server.log()


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)
