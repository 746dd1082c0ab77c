"""The worker process of the e2e system, run in the test's thread so that it can be killed.

The parts are the production ones (CommandConsumer, ProcessManager, OutboxRelay, Scheduler) on
the system's embedded Kafka and store; the plant only takes turns among them (`step`), which
makes the interleaving deterministic for one order. A crash is an exception (`Crash`, not an
Exception, so nothing in the worker catches it) raised from a boundary hook: it unwinds the
worker mid-step, and `restart` then does what a process restart does: the uncommitted Kafka
positions are thrown away (every partition goes back to its committed offset, which is where
the partition's next owner would start) and the parts are built anew, so their memory (relay
hints, scheduler heap, the order run in progress) is gone. The group membership itself
survives the restart: a new member would wait out the mock broker's 3-second join delay per
crash (tests/e2e/test_redelivery.py does a real handover once).
"""
import functools
import json
from collections import defaultdict

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from app.adapters.sms.outbox import DevOutbox
from app.bootstrap import route_writes
from app.messaging import kafka, topics
from app.messaging.outbox import OutboxRelay
from app.signing import SigningService, SigningSettings
from app.worker.consumer import CommandConsumer
from app.worker.process_manager import ProcessManager
from app.worker.scheduler import Scheduler
from handlers import registry
from handlers.base import BusinessError, Services, TransientError

PLANT_SETTINGS = dict(retry_base_s=0.01, retry_max_s=0.02, scheduler_interval_s=0.01,
                      scheduler_full_scan_s=0.5, relay_interval_s=0.01, relay_full_scan_s=0.5,
                      code_resend_s=0, code_daily_cap=50, sign_wait_s=0.0)


class Crash(BaseException):
    """The worker process is killed here."""


class InjectedBug(Exception):
    """An unexpected error in a handler (a bug, not a bank failure)."""


class PlantProcessManager(ProcessManager):
    """Per-order process variables at start (a short code lifetime for one order only)."""

    def __init__(self, *args, variables_for=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._variables_for = variables_for or (lambda order_id: {})
        self._starting = None

    def _load(self, doc):
        self._starting = doc["_id"]
        return super()._load(doc)

    def _initial_data(self):
        return {**super()._initial_data(), **self._variables_for(self._starting)}


class Twice:
    """A producer that sends every message twice (what a relay republishing after a lost
    acknowledgement does), and keeps the commands it sent, per key."""

    def __init__(self, producer, published: dict):
        self.producer = producer
        self.published = published

    def produce(self, topic, key=None, value=None, on_delivery=None, **more):
        self.producer.produce(topic, key=key, value=value, on_delivery=on_delivery, **more)
        self.producer.produce(topic, key=key, value=value, **more)
        if topic.endswith(topics.COMMANDS):
            self.published[key].append(value)

    def __getattr__(self, name):
        return getattr(self.producer, name)


class Plant:
    def __init__(self, system):
        self.system = system
        self.settings = system.settings
        self.hooks: dict[str, object] = {}          # order id -> hook(component, boundary, info)
        self.faults: dict[str, dict] = defaultdict(dict)  # order id -> handler -> [mode, times]
        self.variables: dict[str, dict] = {}        # order id -> process variables at start
        self.restarts = 0
        self.publish_twice = False                  # every command and event goes out twice
        self.published: dict[bytes, list] = defaultdict(list)  # with publish_twice: key -> commands
        self.dead_letters: list[tuple] = []         # (key, raw message, error)
        self._dead_ids: dict[bytes, set] = {}
        self.sms = DevOutbox(max_messages=1_000_000)
        self.signing = SigningService(self.sms, SigningSettings.from_settings(self.settings))
        system.sms, system.signing = self.sms, self.signing  # the API and the handlers share them
        self.services = Services(bank=system.bank, sms=self.sms, signing=self.signing)
        self.handlers = {name: self._faulty(name, fn) for name, fn in registry.load_all().items()}
        self.kafka = kafka.consumer(system.bootstrap, self.settings.consumer_group, **{"client.id": "plant"})
        self.kafka.subscribe([self.settings.topic(topics.COMMANDS)])
        self._start()

    # --- the parts ---------------------------------------------------------------------------
    def _start(self) -> None:
        s = self.system
        self.pm = PlantProcessManager(s.repo, s.catalog, self.handlers, self.services, self.settings,
                                      boundary_hook=self._hook("worker"),
                                      variables_for=lambda order_id: self.variables.get(order_id, {}))
        s.process_manager = self.pm
        self.consumer = CommandConsumer(s.bootstrap, self.settings, self.pm, s.producer, name="plant")
        dead_letter = self.consumer.dead_letter

        def record_dead_letter(raw, key, error):
            self.dead_letters.append((key, raw, error))
            if raw.startswith(b"{"):
                self._dead_ids.setdefault(key, set()).add(json.loads(raw).get("id"))
            dead_letter(raw, key, error)
        self.consumer.dead_letter = record_dead_letter
        producer = Twice(s.producer, self.published) if self.publish_twice else s.producer
        self.relay = OutboxRelay(s.repo, producer, self.settings, boundary_hook=self._hook("relay"))
        self.scheduler = Scheduler(s.repo, producer, self.settings)

        route_writes(s.repo, self.relay, self.scheduler)

    def step(self) -> None:
        """One turn of each part; a crash restarts the process."""
        try:
            self.relay.relay_once(wait=False)
            # One command per commit: a crash then redelivers only the crashed order's command
            # (a batch would redeliver other orders' commands too: harmless, but it blurs
            # which point each case crashes at).
            for _ in range(50):
                if not self.consumer.poll_once(self.kafka, timeout=0.001, batch=1):
                    break
            self.scheduler.tick()
        except Crash:
            self.restart()

    def restart(self) -> None:
        self.restarts += 1
        partitions = self.kafka.committed(self.kafka.assignment(), timeout=10)
        for tp in partitions:
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            self.kafka.seek(TopicPartition(tp.topic, tp.partition, offset))
        self._start()

    def _hook(self, component: str):
        def hook(boundary: str, order_id: str, info: dict) -> None:
            order_hook = self.hooks.get(order_id)
            if order_hook:
                order_hook(component, boundary, info)
        return hook

    # --- faults of one order's handler calls -----------------------------------------------
    def _faulty(self, name: str, handler):
        @functools.wraps(handler)   # keeps read_only
        def call(step_call):
            fault = self.faults.get(step_call.order_id, {}).get(name)
            if not fault or fault[1] == 0:
                return handler(step_call)
            fault[1] -= 1 if fault[1] > 0 else 0
            mode = fault[0]
            if mode == "bug":
                raise InjectedBug(f"injected bug in {name}")
            if mode == "refused":
                raise BusinessError("injected_refusal", f"injected refusal in {name}")
            if mode == "after_effect":
                handler(step_call)   # the effect happens, the answer is lost
            raise TransientError(f"injected fault in {name}")
        return call

    def set_fault(self, order_id: str, handler: str, mode: str, times: int = -1) -> None:
        """mode: transient | after_effect | refused | bug; times: -1 until cleared."""
        self.faults[order_id][handler] = [mode, times]

    def clear_faults(self, order_id: str) -> None:
        self.faults.pop(order_id, None)

    def dead_lettered(self, order_id: str) -> set[str]:
        """Ids of the commands of an order that went to the dead-letter topic."""
        return self._dead_ids.get(order_id.encode(), set())

    def restart_with(self, **changes) -> None:
        """Restart with other settings of the plant itself (e.g. publish_twice)."""
        for name, value in changes.items():
            setattr(self, name, value)
        self._start()

    def close(self) -> None:
        self.kafka.close()
