"""Scaling out: the workers of one consumer group split the command topic's partitions, every
command of one order goes to the one worker that owns its partition (key = order id, so an
order's saga runs serially), and a worker beyond the number of partitions waits with none.

Kafka is `python -m app.messaging.broker`, a process of its own; the workers are threads of this
process because the store here is mongomock, which lives inside one process (with MongoDB they
are `python -m app.worker` processes: the group and the partitions behave the same). How
throughput grows with workers, processes and partitions is measured in bench/RESULTS.md.
"""
import copy
import time
from collections import defaultdict

import pytest

from app.api.factory import create_app
from app.bootstrap import build
from tests.e2e.conftest import FAST
from tests.e2e.harness import Api, order_body
from tests.ops.servers import Service

PARTITIONS = 4   # the broker's command topic (the mock cluster creates topics with 4)
WORKERS = PARTITIONS + 1
ORDERS = 40      # keys spread over every partition (a partition gets none with p < 1e-4)


@pytest.fixture(scope="module")
def broker():
    with Service("app.messaging.broker") as process:
        yield process.address


def test_workers_split_the_partitions_and_an_order_stays_with_one(broker):
    system = build(**FAST, kafka_bootstrap=broker)
    handled_by: dict[str, set[str]] = defaultdict(set)  # order id -> workers that handled its commands

    def recorded(name: str):
        manager = copy.copy(system.process_manager)
        handle = manager.handle

        def record(command):
            handled_by[command.order_id].add(name)
            return handle(command)
        manager.handle = record
        return manager

    try:
        system.start_background(workers=0)
        for n in range(1, WORKERS + 1):
            system.add_worker(f"worker-{n}", process_manager=recorded(f"worker-{n}"))
        _wait(lambda: all(c.partitions is not None for c in system.consumers)
              and sum(len(c.partitions) for c in system.consumers) == PARTITIONS, "the group assigned")
        assert sorted(len(c.partitions) for c in system.consumers) == [0] + [1] * PARTITIONS
        idle = next(c.name for c in system.consumers if not c.partitions)

        api = Api(create_app(system).test_client())
        ids = [api.create(body=order_body(passport=("4602", f"{300000 + n}"))) for n in range(ORDERS)]
        for order_id in ids:
            api.wait_status(order_id, "AWAITING_SIGNATURE", timeout=60)
        for order_id in ids[:8]:  # a second command on the same key: the same worker takes it
            assert api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "scale-out test"}).status_code == 202
        for order_id in ids[:8]:
            api.wait_status(order_id, "CANCELLED", timeout=60)

        assert set(handled_by) == set(ids)
        assert {order_id: workers for order_id, workers in handled_by.items() if len(workers) != 1} == {}
        busy = {worker for workers in handled_by.values() for worker in workers}
        assert len(busy) == PARTITIONS and idle not in busy
    finally:
        system.stop()


def _wait(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)
