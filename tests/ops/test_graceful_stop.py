"""SIGTERM: a worker finishes its current command, commits, leaves the group and exits 0.

Kafka lives in its own process (`python -m app.messaging.broker`), so what the stopped process
committed and published can be read after it is gone.
"""
import json
import time

import pytest
import requests
from confluent_kafka import Consumer, Producer, TopicPartition

from app.rebuild import read_topic
from tests.e2e.harness import headers, order_body
from tests.ops.servers import Service, wait_http

COMMANDS = "escrow.order-commands"
GROUP = "escrow-process-manager"


@pytest.fixture
def broker():
    with Service("app.messaging.broker") as service:
        yield service.address


def test_make_run_finishes_the_command_in_progress(broker):
    """`python -m app` (`make run`: gunicorn, worker threads): it says once what lives only in
    memory; SIGTERM in the middle of a slow bank call lets that command finish."""
    with Service("app", env={"PORT": "0", "ESCROW_KAFKA_BOOTSTRAP": broker}, name="app") as app:
        wait_http(f"{app.address}/readyz")
        auth = headers("m1")
        slow = requests.post(f"{app.address}/api/v1/dev/faults", headers=headers("admin"), timeout=5, json={
            "operation": "escrow.reserve_account", "fail_times": 0, "latency_ms": 2500})
        assert slow.status_code == 200, slow.text
        created = requests.post(f"{app.address}/api/v1/orders", json=order_body(), headers=auth, timeout=5)
        order_id = created.json()["id"]
        _wait_step_done(app.address, order_id, "clients.create_depositor")
        time.sleep(0.3)  # the worker is inside the 2.5 s reserve call now
        assert app.terminate() == 0, app.log()
    log = app.log()
    assert "Starting gunicorn" in log and "development server" not in log
    assert log.count("Embedded default: everything lives in this process's memory") == 1
    assert "stopped: 1 worker(s) left the consumer group" in log
    context = read_topic(broker, "escrow.order-context")[order_id]
    reserve = next(s for s in context["steps"] if s["handler"] == "escrow.reserve_account")
    assert reserve["state"] == "completed", "the command in progress ran to its end"
    assert context["status"] == "AWAITING_SIGNATURE", context["status"]
    assert _uncommitted(broker) == 0


def test_worker_process_commits_leaves_the_group_and_exits_0(broker):
    env = {"ESCROW_KAFKA_BOOTSTRAP": broker, "ESCROW_METRICS_PORT": "0"}
    with Service("app.worker", env=env, prints_address=False) as worker:
        ops = worker.wait_log(r"operations server on (http://\S+) ").group(1)
        ready = wait_http(f"{ops}/readyz").json()
        assert ready["checks"]["consumer worker-1"] == "ok (4 partitions)"
        _produce(broker, [{"type": "order.start", "order_id": f"ord_missing{n}", "id": f"c{n}", "actor": "test"}
                          for n in range(8)])
        worker.wait_log(r"(?s)(dead letter.*){8}")  # handled: none of these orders exists here
        exposition = requests.get(f"{ops}/metrics", timeout=5).text  # the worker's own counters
        assert "escrow_dead_letters_total 8.0" in exposition and "escrow_kafka_consumer_lag{" in exposition
        assert worker.terminate() == 0, worker.log()
    # librdkafka's close() sends the LeaveGroup; the mock cluster's coordinator still keeps a
    # closed member until its session times out, so here the log is the evidence, not a takeover.
    assert "worker-1 left the consumer group" in worker.log()
    assert "stopped: 1 worker(s) left the consumer group" in worker.log()
    assert _uncommitted(broker) == 0, "every handled command was committed"
    assert all(json.loads(line)["service"]["name"] == "escrow-worker" for line in worker.log().splitlines())


def _wait_step_done(url: str, order_id: str, handler: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = requests.get(f"{url}/api/v1/orders/{order_id}", headers=headers("m1"), timeout=5).json()
        if any(s["handler"] == handler and s["state"] == "completed" for s in order["steps"]):
            return
        time.sleep(0.05)
    raise AssertionError(f"{handler} not completed: {order}")


def _produce(bootstrap: str, commands: list[dict]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "log_level": 3})
    for command in commands:
        producer.produce(COMMANDS, key=command["order_id"].encode(), value=json.dumps(command).encode())
    assert producer.flush(10) == 0


def _uncommitted(bootstrap: str) -> int:
    """Commands on the topic that the group has not committed."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "log_level": 3})
    try:
        partitions = reader.list_topics(COMMANDS, timeout=10).topics[COMMANDS].partitions
        committed = reader.committed([TopicPartition(COMMANDS, p) for p in partitions], timeout=10)
        total = 0
        for tp in committed:
            low, high = reader.get_watermark_offsets(tp, timeout=10)
            total += high - (tp.offset if tp.offset >= 0 else low)
        return total
    finally:
        reader.close()
