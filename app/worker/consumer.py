"""Kafka consumer loop of the process manager: one consumer group, key = order id.

Offsets are committed only after every message of a batch was handled and saved, so a crash
means redelivery (which the process manager makes harmless), never loss.
"""
import json
import logging
import threading

from app.domain.clock import iso, utcnow
from app.messaging import kafka, topics
from app.messaging.commands import BadCommand, Command
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

    def stop(self) -> None:
        self.stopped.set()

    def run(self) -> None:
        consumer = kafka.consumer(self.bootstrap, self.settings.consumer_group,
                                  **{"client.id": self.name})
        consumer.subscribe([self.settings.topic(topics.COMMANDS)])
        try:
            while not self.stopped.is_set():
                # Wait for the first message only, then take what is already there:
                # consume(n, timeout) alone would wait out the timeout to fill a batch.
                first = consumer.poll(0.1)
                messages = [first] + consumer.consume(199, 0) if first is not None else []
                good = [m for m in messages if m.error() is None]
                for message in messages:
                    if message.error() is not None:
                        log.debug("consumer: %s", message.error())
                for message in good:
                    self.process(message.value(), message.key())
                if good:
                    consumer.commit(asynchronous=False)
        finally:
            consumer.close()

    def process(self, raw: bytes, key: bytes | None) -> None:
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
        log.error("dead letter (%s): %s", key, error)
        value = {"error": error, "at": iso(utcnow()), "worker": self.name,
                 "message": raw.decode("utf-8", "replace")}
        self.producer.produce(self.settings.topic(topics.DEAD_LETTERS), key=key,
                              value=json.dumps(value).encode())
        self.producer.flush(5)
