"""Outbox relay: publishes events committed inside order documents, then removes them.

Writers in this process hint which orders have news (no polling delay, no collection scans);
a periodic scan catches everything else (other processes, restarts). Delivery is at least once:
an event is removed only after the broker acknowledged it.
"""
import json
import logging
import threading
import time

from app.messaging import topics
from app.messaging import context

log = logging.getLogger(__name__)


def _encode(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), default=str).encode()


# Named step boundaries of a relay pass, per order (fault injection: a crash at each loses
# nothing; after_publish is the window between the broker's acknowledgement and mark-sent, where
# a crash makes the next pass publish the same events again: consumers drop repeats by id).
BOUNDARIES = ("before_publish", "after_publish", "after_mark_sent")


def describe(event: dict) -> str:
    """A short name of an outbox event: the command or event type, `context` for a record."""
    value = event.get("value") or {}
    if event["topic"] == topics.CONTEXT:
        return "context"
    return f"{value.get('type')}:{value['to']}" if "to" in value else str(value.get("type"))


class OutboxRelay:
    def __init__(self, repo, producer, settings, boundary_hook=None):
        self.repo = repo
        self.producer = producer
        self.settings = settings
        self.boundary_hook = boundary_hook  # fault injection: called at every boundary
        self._hints: dict[str, bool] = {}  # order id -> a context record asked for
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._last_scan = 0.0
        self.published = 0

    def hint(self, order_id: str, queued: list[dict]) -> None:
        """A write in this process queued these events on the order. If one of them asks for a
        context record, the relay reads the whole order at once, outbox included."""
        if not queued:
            return
        context = any(event["topic"] == topics.CONTEXT for event in queued)
        with self._wake:
            self._hints[order_id] = self._hints.get(order_id, False) or context
            self._wake.notify()

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify()

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.relay_once()
            except Exception:  # keep relaying; the scan will retry what failed
                log.exception("outbox relay pass failed")
                time.sleep(0.5)

    def relay_once(self, wait: bool = True) -> int:
        with self._wake:
            if wait and not self._hints and not self._scan_due():
                self._wake.wait(self.settings.relay_interval_s)
            ids, self._hints = self._hints, {}
        # A context record needs the whole order; plain events need only the outbox.
        whole = [self.repo.get(i) for i, context in ids.items() if context]
        pending = [o for o in map(self.repo.outbox_of, [i for i, context in ids.items() if not context])
                   if o and o.get("outbox")]
        if self._scan_due():
            self._last_scan = time.monotonic()
            pending += [o for o in self.repo.with_pending_outbox() if o["_id"] not in ids]
        orders = whole + [self.repo.get(o["_id"]) if any(e["topic"] == topics.CONTEXT for e in o["outbox"]) else o
                          for o in pending]
        return self.publish([o for o in orders if o and o.get("outbox")])

    def _scan_due(self) -> bool:
        return time.monotonic() - self._last_scan >= self.settings.relay_full_scan_s

    def boundary(self, name: str, order: dict) -> None:
        if self.boundary_hook:
            self.boundary_hook(name, order["_id"], {"version": order.get("version"),
                                                    "events": [describe(e) for e in order["outbox"]],
                                                    "ids": [e["id"] for e in order["outbox"]]})

    def publish(self, orders: list[dict]) -> int:
        delivered: dict[str, list[str]] = {}

        def on_delivery(order_id, event_id):
            def report(error, _msg):
                if error is None:
                    delivered.setdefault(order_id, []).append(event_id)
                else:
                    log.warning("outbox event %s not delivered: %s", event_id, error)
            return report

        for order in orders:
            self.boundary("before_publish", order)
            context_sent = False
            for event in order["outbox"]:
                if event["topic"] == topics.CONTEXT:
                    if context_sent:  # one record with the newest context stands for all markers
                        delivered.setdefault(order["_id"], []).append(event["id"])
                        continue
                    value = context.encode(context.build_context(order, self.repo.full_history(order)))
                    context_sent = True
                else:
                    value = _encode(event["value"])
                self.producer.produce(self.settings.topic(event["topic"]), key=order["_id"].encode(),
                                      value=value, headers=event.get("headers"),
                                      on_delivery=on_delivery(order["_id"], event["id"]))
                self.producer.poll(0)
        if orders:
            self.producer.flush(10)
        for order in orders:
            event_ids = delivered.get(order["_id"])
            if event_ids:
                self.boundary("after_publish", order)
                self.repo.remove_outbox(order["_id"], event_ids)
                self.boundary("after_mark_sent", order)
        count = sum(len(v) for v in delivered.values())
        self.published += count
        return count
