"""Gauges read at scrape time: orders by status, open incidents, the back-office queue, the
outbox backlog (from the store) and the consumer group's lag per partition (from Kafka).

A prometheus-client Collector computes them when Prometheus scrapes, never on the hot path;
the values are kept for CACHE_S, so several scrapers or a burst of scrapes cost one read. A
source that fails leaves its gauges out of that scrape (and logs why), never the whole scrape.
"""
import logging
import threading
import time

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

from app.domain import statuses
from app.domain.clock import utcnow
from app.messaging import kafka, topics
from app.observability import events
from app.observability.metrics import GAUGES
from app.services import dashboard

CACHE_S = 2.0
KAFKA_TIMEOUT_S = 2.0


def _family(name: str) -> GaugeMetricFamily:
    help_text, labels = GAUGES[name]
    return GaugeMetricFamily(name, help_text, labels=list(labels))


def store_families(system) -> list[GaugeMetricFamily]:
    """The dashboard's figures (app.services.dashboard), every status included (0 too)."""
    counts = dashboard.orders_by_status(system)
    orders = _family("escrow_orders")
    for status in statuses.ALL:
        orders.add_metric([status], counts.get(status, 0))
    incidents = _family("escrow_incidents_open")
    incidents.add_metric([], dashboard.open_incidents(system)["open"])
    now = utcnow()
    queue = dashboard.backoffice_queue(system, now)
    tasks = _family("escrow_backoffice_tasks_open")
    tasks.add_metric(["true"], queue["overdue"])
    tasks.add_metric(["false"], queue["open"] - queue["overdue"])
    age = _family("escrow_backoffice_task_age_seconds")
    age.add_metric([], (now - queue["oldest"]["created_at"]).total_seconds() if queue["oldest"] else 0)
    backlog = _family("escrow_outbox_backlog")
    backlog.add_metric([], system.repo.outbox_backlog())
    return [orders, incidents, tasks, age, backlog]


class ConsumerLag:
    """The group's committed offset behind each partition's end, for the commands topic. The
    partitions are listed explicitly: brokers (and the embedded mock) answer that without
    describing the group."""

    def __init__(self, bootstrap: str, settings):
        self.admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3, "logger": kafka.LIBRDKAFKA})
        self.group = settings.consumer_group
        self.topic = settings.topic(topics.COMMANDS)

    def family(self) -> GaugeMetricFamily:
        metadata = self.admin.list_topics(self.topic, timeout=KAFKA_TIMEOUT_S).topics[self.topic]
        partitions = [TopicPartition(self.topic, p) for p in sorted(metadata.partitions)]
        request = [ConsumerGroupTopicPartitions(self.group, partitions)]
        committed = self.admin.list_consumer_group_offsets(request, request_timeout=KAFKA_TIMEOUT_S)
        done = {tp.partition: tp.offset for tp in committed[self.group].result(KAFKA_TIMEOUT_S).topic_partitions}
        ends = self._offsets(partitions, OffsetSpec.latest())
        # Never committed: the group will start at the earliest offset still kept.
        starts = {**self._offsets([tp for tp in partitions if done.get(tp.partition, -1) < 0],
                                  OffsetSpec.earliest()),
                  **{p: o for p, o in done.items() if o >= 0}}
        lag = _family("escrow_kafka_consumer_lag")
        for partition, end in ends.items():
            lag.add_metric([self.topic, str(partition)], max(0, end - starts[partition]))
        return lag

    def _offsets(self, partitions: list, spec) -> dict[int, int]:
        if not partitions:
            return {}
        found = self.admin.list_offsets({tp: spec for tp in partitions}, request_timeout=KAFKA_TIMEOUT_S)
        return {tp.partition: future.result(KAFKA_TIMEOUT_S).offset for tp, future in found.items()}


class ScrapeTimeGauges(Collector):
    def __init__(self):
        self._lock = threading.Lock()
        self._system = None
        self._lag: ConsumerLag | None = None
        self._cached: tuple[float, list] = (float("-inf"), [])
        self._failing: set[str] = set()

    def watch(self, system) -> None:
        """Read the gauges of this system (a process has one; a test may build several)."""
        with self._lock:
            self._system = system
            self._lag = ConsumerLag(system.bootstrap, system.settings)
            self._cached = (float("-inf"), [])

    def describe(self):
        return [_family(name) for name in GAUGES]

    def collect(self):
        with self._lock:
            at, families = self._cached
            if self._system is not None and time.monotonic() - at >= CACHE_S:
                families = self._read("store", lambda: store_families(self._system))
                families += self._read("kafka", lambda: [self._lag.family()])
                self._cached = (time.monotonic(), families)
        return families

    def _read(self, source: str, read) -> list:
        try:
            families = read()
        except Exception as error:  # a scrape without these gauges beats a failed scrape
            if source not in self._failing:
                events.emit(logging.WARNING, "metrics.source_failed",
                            "gauges from the " + source + " left out of the scrape ({error_type})",
                            error_type=type(error).__name__)
            self._failing.add(source)
            return []
        self._failing.discard(source)
        return families


GAUGE_COLLECTOR = ScrapeTimeGauges()
REGISTRY.register(GAUGE_COLLECTOR)
