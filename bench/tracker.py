"""When did each order reach AWAITING_SIGNATURE (or fail): read from the order-events topic,
as any downstream service sees it (the relay publishes a status change once it is saved)."""
import json
import threading
import time

from confluent_kafka import Consumer

DONE_STATUS = "AWAITING_SIGNATURE"
FAILED_STATUSES = {"ROLLED_BACK", "REJECTED", "CANCELLED", "INCIDENT", "BACKOFFICE_REVIEW"}


class StatusTracker:
    def __init__(self, bootstrap: str, topic: str):
        self.done: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self.cond = threading.Condition()
        self._stop = threading.Event()
        self._consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": f"bench-tracker-{time.time_ns()}",
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "fetch.wait.max.ms": 10, "log_level": 3})
        self._consumer.subscribe([topic])
        self._thread = threading.Thread(target=self._run, name="tracker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for message in self._consumer.consume(500, 0.1):
                if message.error() is None:
                    self._seen(json.loads(message.value()), time.perf_counter())

    def _seen(self, event: dict, at: float) -> None:
        if event.get("type") != "order.status_changed":
            return
        order_id, status = event["order_id"], event["to"]
        if status != DONE_STATUS and status not in FAILED_STATUSES:
            return
        with self.cond:
            if order_id in self.done or order_id in self.failed:
                return
            if status == DONE_STATUS:
                self.done[order_id] = at
            else:
                self.failed[order_id] = status
            self.cond.notify_all()

    def wait(self, order_ids, deadline: float) -> bool:
        """Until every order is done or failed (True), or the monotonic deadline (False)."""
        ids = set(order_ids)
        with self.cond:
            while not all(i in self.done or i in self.failed for i in ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._consumer.close()
