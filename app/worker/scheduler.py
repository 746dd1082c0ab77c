"""Timer scheduler: finds orders whose timer or retry is due and wakes them through Kafka.

The owning worker does the work; the scheduler only emits `order.wake` commands with a
deterministic id, so a wake-up emitted twice (two schedulers, a hint and a scan) is applied once.
"""
import heapq
import json
import logging
import threading
import time
from dataclasses import asdict

from app.domain.clock import as_utc, iso, utcnow
from app.messaging import commands, topics
from app.observability import trace

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, repo, producer, settings, clock=utcnow):
        self.repo = repo
        self.producer = producer
        self.settings = settings
        self.clock = clock
        self._heap: list[tuple] = []
        self._lock = threading.Lock()
        self._emitted: dict[str, object] = {}
        self._traces: dict[str, dict | None] = {}  # order id -> trace context of its last write
        self._stop = threading.Event()
        self._last_scan = 0.0

    def hint(self, order_id: str, doc: dict) -> None:
        wake_at = as_utc(doc.get("next_wake_at")) if doc else None
        with self._lock:
            if wake_at:
                heapq.heappush(self._heap, (wake_at, order_id))
                self._traces[order_id] = trace.headers()  # the wake-up continues that trace
            else:
                self._traces.pop(order_id, None)
            if self._emitted.get(order_id) != wake_at:
                self._emitted.pop(order_id, None)

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        while not self._stop.wait(self.settings.scheduler_interval_s):
            try:
                self.tick()
            except Exception:
                log.exception("scheduler tick failed")

    def tick(self) -> int:
        now = self.clock()
        due: set[str] = set()
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                due.add(heapq.heappop(self._heap)[1])
        if time.monotonic() - self._last_scan >= self.settings.scheduler_full_scan_s:
            self._last_scan = time.monotonic()
            due.update(o["_id"] for o in self.repo.due_for_wakeup(now))
        sent = 0
        for order_id in due:
            doc = self.repo.get(order_id)
            wake_at = as_utc(doc.get("next_wake_at")) if doc else None
            if wake_at is None or wake_at > now or self._emitted.get(order_id) == wake_at:
                continue
            command = commands.Command(type=commands.WAKE, order_id=order_id, actor="scheduler",
                                       id=f"wake:{order_id}:{iso(wake_at)}")
            self.producer.produce(self.settings.topic(topics.COMMANDS), key=order_id.encode(),
                                  value=json.dumps(asdict(command)).encode(),
                                  headers=self._traces.pop(order_id, None))
            self._emitted[order_id] = wake_at
            sent += 1
        if sent:
            self.producer.flush(5)
        return sent
