"""Kafka consumer loop of the process manager: one consumer group, key = order id.

Offsets are committed only after a message was handled and saved, so a crash means
redelivery (which the process manager makes harmless), never loss. `stop()` (SIGTERM) lets the
current command finish, commits what was handled and leaves the group; the rest of a batch
goes to the partition's next owner.
"""
import json
import logging
import threading

from confluent_kafka import TopicPartition

from app.domain.clock import iso, utcnow
from app.messaging import kafka, topics
from app.messaging.commands import BadCommand, Command
from app.observability import saga, trace
from app.worker.process_manager import OrderMissing

log = logging.getLogger(__name__)


class CommandConsumer:
    def __init__(self, bootstrap: str, settings, process_manager, producer, name: str = "worker"):
        self.bootstrap = bootstrap
        self.settings = settings
        self.pm = process_manager
        self.producer = producer
        self.name = name
        self.stopped = threading.Event()
        self.handled = 0
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
                # Wait for the first message only, then take what is already there:
                # consume(n, timeout) alone would wait out the timeout to fill a batch.
                first = consumer.poll(0.1)
                messages = [first] + consumer.consume(199, 0) if first is not None else []
                handled = {}
                for message in messages:
                    if message.error() is not None:
                        log.debug("consumer: %s", message.error())
                    elif not self.stopped.is_set():
                        self.process(message.value(), message.key(), message.headers())
                        handled[(message.topic(), message.partition())] = message.offset() + 1
                if handled:
                    consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in handled.items()],
                                    asynchronous=False)
        finally:
            consumer.close()  # leaves the group: its partitions move on at once
            self.partitions = None
            log.info("%s left the consumer group", self.name)

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
            return self.dead_letter(raw, key, str(error))
        try:
            self.pm.handle(command)
            self.handled += 1
        except OrderMissing:
            self.dead_letter(raw, key, f"order {command.order_id} does not exist")
        except Exception as error:  # a poison message must not stop the partition
            log.exception("command %s for order %s failed", command.type, command.order_id)
            self.dead_letter(raw, key, f"{type(error).__name__}: {error}")
            self.pm.record_failure(command, error)

    def dead_letter(self, raw: bytes, key: bytes | None, error: str) -> None:
        saga.dead_letter(key)
        value = {"error": error, "at": iso(utcnow()), "worker": self.name,
                 "message": raw.decode("utf-8", "replace")}
        self.producer.produce(self.settings.topic(topics.DEAD_LETTERS), key=key,
                              value=json.dumps(value).encode())
        self.producer.flush(5)
