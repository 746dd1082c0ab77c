"""Kafka consumer loop of the process manager: one consumer group, key = order id.

Offsets are committed only after a message was handled and saved, so a crash means
redelivery (which the process manager makes harmless), never loss. `stop()` (SIGTERM) lets the
current command finish, commits what was handled and leaves the group; the rest of a batch
goes to the partition's next owner. A poison message (one that cannot be decoded, or whose
handling fails unexpectedly) goes to the dead-letter topic and becomes an incident on its order;
the partition keeps flowing. A store outage is not poison: the message is not committed and is
handled again after a pause.
"""
import json
import logging
import threading

from confluent_kafka import TopicPartition

from app.domain.clock import iso, utcnow
from app.messaging import kafka, topics
from app.messaging.commands import BadCommand, Command
from app.observability import saga, trace
from app.store.connection import STORE_UNAVAILABLE
from app.worker.process_manager import OrderMissing

log = logging.getLogger(__name__)
BATCH = 200
STORE_RETRY_S = (0.05, 5.0)  # first and longest pause while the store is unavailable


class CommandConsumer:
    def __init__(self, bootstrap: str, settings, process_manager, producer, name: str = "worker"):
        self.bootstrap = bootstrap
        self.settings = settings
        self.pm = process_manager
        self.producer = producer
        self.name = name
        self.stopped = threading.Event()
        self.handled = 0
        self.store_retries = 0
        self._pause = STORE_RETRY_S[0]
        self.partitions: set[tuple[str, int]] | None = None  # None until the group assigned some (or none)

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        consumer = kafka.consumer(self.bootstrap, self.settings.consumer_group,
                                  **{"client.id": self.name})
        consumer.subscribe([self.settings.topic(topics.COMMANDS)],
                           on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._revoked)
        try:
            while not self.stopped.is_set():
                self.poll_once(consumer)
        finally:
            consumer.close()  # leaves the group: its partitions move on at once
            self.partitions = None
            log.info("%s left the consumer group", self.name)

    def poll_once(self, consumer, timeout: float = 0.1, batch: int = BATCH) -> int:
        """Handle up to `batch` messages the broker has (waiting up to `timeout` for the first)
        and commit the offsets of what was handled; the number handled."""
        # Wait for the first message only, then take what is already there:
        # consume(n, timeout) alone would wait out the timeout to fill a batch.
        first = consumer.poll(timeout)
        polled = [first] + consumer.consume(batch - 1, 0) if first is not None and batch > 1 else [first]
        messages = []
        for message in (m for m in polled if m is not None):
            if message.error() is None:
                messages.append(message)
            else:
                log.debug("consumer: %s", message.error())
        handled: dict[tuple[str, int], int] = {}
        for n, message in enumerate(messages):
            if self.stopped.is_set():
                break  # the rest goes to the partition's next owner
            try:
                self.process(message.value(), message.key(), message.headers())
            except STORE_UNAVAILABLE as error:
                log.warning("store unavailable (%s): commands wait, nothing is committed", error)
                self._rewind(consumer, messages[n:])
                self.store_retries += 1
                self.stopped.wait(self._pause)
                self._pause = min(self._pause * 2, STORE_RETRY_S[1])
                break
            handled[(message.topic(), message.partition())] = message.offset() + 1
        else:
            self._pause = STORE_RETRY_S[0]
        if handled:
            consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in handled.items()],
                            asynchronous=False)
        return len(handled)

    @staticmethod
    def _rewind(consumer, unhandled: list) -> None:
        """Deliver these messages again: each partition goes back to its first unhandled one."""
        first: dict[tuple[str, int], int] = {}
        for message in unhandled:
            key = (message.topic(), message.partition())
            first[key] = min(first.get(key, message.offset()), message.offset())
        for (topic, partition), offset in first.items():
            consumer.seek(TopicPartition(topic, partition, offset))

    def _assigned(self, _consumer, partitions) -> None:
        # cooperative-sticky: each call adds partitions (possibly none)
        self.partitions = (self.partitions or set()) | {(p.topic, p.partition) for p in partitions}

    def _revoked(self, _consumer, partitions) -> None:
        self.partitions = (self.partitions or set()) - {(p.topic, p.partition) for p in partitions}

    def process(self, raw: bytes, key: bytes | None, headers=None) -> None:
        """Handle one message in the trace context its headers carry."""
        with trace.continued(headers):
            self._process(raw, key)

    def _process(self, raw: bytes, key: bytes | None) -> None:
        try:
            command = Command.decode(raw)
        except BadCommand as error:
            self.dead_letter(raw, key, str(error))
            if key:  # the key is the order id: its order gets an incident
                self.pm.record_failure(key.decode("utf-8", "replace"), "undecodable message", str(error))
            return
        try:
            self.pm.handle(command)
            self.handled += 1
        except OrderMissing:
            self.dead_letter(raw, key, f"order {command.order_id} does not exist")
        except STORE_UNAVAILABLE:
            raise  # not poison: the store is down; the consumer tries again later
        except Exception as error:  # a poison message must not stop the partition
            log.exception("command %s for order %s failed", command.type, command.order_id)
            self.dead_letter(raw, key, f"{type(error).__name__}: {error}")
            self.pm.record_failure(command.order_id, f"command {command.type}",
                                   f"{type(error).__name__}: {error}", command)

    def dead_letter(self, raw: bytes, key: bytes | None, error: str) -> None:
        saga.dead_letter(key)
        value = {"error": error, "at": iso(utcnow()), "worker": self.name,
                 "message": raw.decode("utf-8", "replace")}
        self.producer.produce(self.settings.topic(topics.DEAD_LETTERS), key=key,
                              value=json.dumps(value).encode())
        self.producer.flush(5)
