"""Issue 2: the same end-to-end saga tests, with Kafka hosted by a separate process.

The broker process is `python -m app.messaging.broker` (it prints its bootstrap address); the
app under test is configured with ESCROW_KAFKA_BOOTSTRAP exactly as it would be for a real broker.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

ROOT = Path(__file__).resolve().parents[2]


def test_saga_suite_against_a_broker_in_another_process():
    broker = subprocess.Popen([sys.executable, "-m", "app.messaging.broker"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        bootstrap = broker.stdout.readline().strip()
        assert bootstrap.startswith("127.0.0.1:"), bootstrap
        env = {**os.environ, "ESCROW_KAFKA_BOOTSTRAP": bootstrap}
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/e2e/test_order_saga.py"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
        assert " passed" in run.stdout
        # The commands really travelled through that broker.
        commands = _read_all(bootstrap, "escrow.order-commands")
        assert any(c["type"] == "order.start" for c in commands)
    finally:
        broker.terminate()
        broker.wait(timeout=30)


def _read_all(bootstrap: str, topic: str) -> list[dict]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "test-reader", "log_level": 3})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        found = []
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, p, low)])
            while True:
                message = consumer.poll(5)
                assert message is not None, "topic could not be read to its end"
                if not message.error():
                    found.append(json.loads(message.value()))
                    if message.offset() + 1 >= high:
                        break
        return found
    finally:
        consumer.close()
