"""Kafka clients (confluent-kafka). Real brokers and the embedded mock cluster speak the same protocol."""
import logging

from confluent_kafka import Consumer, Producer

log = logging.getLogger(__name__)
# librdkafka's own messages go through this logger (JSON lines like the rest), not to stderr
LIBRDKAFKA = logging.getLogger("librdkafka")


class EmbeddedKafka:
    """librdkafka's mock cluster, alive as long as this object is; reachable over TCP.

    `topics` exist from the start (as a real deployment creates them before the workers), so
    consumers get their assignment at once; the mock creates a topic on a metadata request."""

    def __init__(self, brokers: int = 1, topics=()):
        self._holder = Producer({"test.mock.num.brokers": brokers, "log_level": 3, "logger": LIBRDKAFKA})
        metadata = self._holder.list_topics(timeout=10)
        self.bootstrap = ",".join(f"{b.host}:{b.port}" for b in metadata.brokers.values())
        for topic in topics:
            self._holder.list_topics(topic, timeout=10)

    def close(self) -> None:
        self._holder.flush(1)
        self._holder = None


def producer(bootstrap: str, **extra) -> Producer:
    return Producer({
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,      # no duplicates from producer retries
        "acks": "all",
        "linger.ms": 1,
        "log_level": 3,
        "logger": LIBRDKAFKA,
        **extra,
    })


def consumer(bootstrap: str, group: str, **extra) -> Consumer:
    return Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,     # commit only after the state is saved
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "fetch.wait.max.ms": 10,         # a command waits at most this long in the broker
        "log_level": 3,
        "logger": LIBRDKAFKA,
        **extra,
    })


def topic_names(bootstrap: str) -> list[str]:
    client = Producer({"bootstrap.servers": bootstrap, "log_level": 3})
    try:
        return sorted(t for t in client.list_topics(timeout=5).topics if not t.startswith("__"))
    finally:
        client.flush(0)


def reachable(bootstrap: str, timeout: float = 2.0) -> bool:
    client = Producer({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        client.list_topics(timeout=timeout)
        return True
    except Exception:  # KafkaException on timeout
        return False
