"""Wire the parts once: the same code on the embedded default and in production.

Only configuration differs: where Kafka is (embedded mock cluster or real brokers), where
MongoDB is (mongomock or a real server), and whether demo data and dev endpoints exist.
"""
import json
import logging
import threading
from dataclasses import dataclass, field

from app import affinity
from app.adapters.bank import seed as bank_seed
from app.adapters.faults import FaultInjector
from app.adapters.bank.http import HttpBank
from app.adapters.bank.simulated import SimulatedBank
from app.adapters.sms.http_gateway import HttpSmsGateway
from app.adapters.sms.outbox import DevOutbox
from app.config import Settings, load_settings
from app.engine import ProcessEngine, RetryPolicy, ScriptLimits
from app.messaging import kafka, topics
from app.messaging.outbox import OutboxRelay
from app.observability import gauges, saga
from app.process_models import ModelCatalog, model_record
from app.signing import SigningService, SigningSettings
from app.store import connection
from app.store.documents import ProcessModel, Project, User
from app.store.orders import OrderRepository
from app.store.users import password_hash, token_hash
from app.worker.consumer import CommandConsumer
from app.worker.process_manager import ProcessManager
from app.worker.scheduler import Scheduler
from handlers import registry
from handlers.base import Services

log = logging.getLogger(__name__)

# Embedded default only; production has none. Each signs in with password DEMO_PASSWORD
# (pages) or uses its token (API).
DEMO_PASSWORD = "demo"
DEMO_USERS = [  # (username, API token, user id, name, role, company)
    ("manager-1", "demo-manager-1", "u-manager-1", "Maria Manager (dev-1)", "manager", "dev-1"),
    ("manager-2", "demo-manager-2", "u-manager-2", "Mikhail Manager (dev-2)", "manager", "dev-2"),
    ("backoffice", "demo-backoffice", "u-backoffice", "Boris Back-office", "backoffice", None),
    ("analyst", "demo-analyst", "u-analyst", "Alla Analyst", "analyst", None),
    ("admin", "demo-admin", "u-admin", "Anton Admin", "admin", None),
]


@dataclass
class System:
    settings: Settings
    bootstrap: str
    repo: OrderRepository
    catalog: ModelCatalog
    bank: object  # BankCore: the in-process SimulatedBank, or HttpBank (ESCROW_BANK_URL)
    sms: object
    signing: object
    process_manager: ProcessManager
    producer: object
    relay: OutboxRelay
    scheduler: Scheduler
    embedded_kafka: object = None
    consumers: list = field(default_factory=list)
    threads: list = field(default_factory=list)
    background_cpu: int | None = None  # where start_background's threads run (None: anywhere)

    def start_background(self, workers: int | None = None) -> None:
        """Relay, scheduler and worker threads (the embedded default runs them in-process).

        They share one interpreter lock with the API threads and run on one CPU
        (app.affinity). The lock's switch interval stays Python's 5 ms: with the threads
        pinned, 1 ms measured 6 % fewer sagas/s and no better API latency (bench/RESULTS.md).
        """
        self.background_cpu = affinity.background_cpu(self.settings.background_cpu, self.settings.embedded)
        self._spawn("outbox-relay", self.relay.run)
        self._spawn("scheduler", self.scheduler.run)
        for n in range(workers if workers is not None else self.settings.embedded_workers):
            self.add_worker(f"worker-{n + 1}")

    def add_worker(self, name: str, process_manager: ProcessManager | None = None) -> CommandConsumer:
        consumer = CommandConsumer(self.bootstrap, self.settings, process_manager or self.process_manager,
                                   self.producer, name=name)
        self.consumers.append(consumer)
        self._spawn(name, consumer.run)
        return consumer

    def _spawn(self, name, target) -> threading.Thread:
        def run():
            affinity.pin_this_thread(self.background_cpu)
            target()
        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)
        return thread

    def stop(self, timeout_s: float = 20.0) -> None:
        """Graceful stop (SIGTERM): each worker finishes its current command, commits and
        leaves the group; then the relay publishes what their last saves queued."""
        for consumer in self.consumers:
            consumer.stop()
        self.scheduler.stop()
        relay_threads = [t for t in self.threads if t.name == "outbox-relay"]
        for thread in self.threads:
            if thread not in relay_threads:
                thread.join(timeout=timeout_s)
        self.relay.stop()
        for thread in relay_threads:
            thread.join(timeout=timeout_s)
        try:
            self.relay.relay_once(wait=False)
        except Exception:  # the events stay in their documents for the next relay
            log.exception("outbox relay: last pass at stop failed")
        self.producer.flush(5)
        log.info("stopped: %d worker(s) left the consumer group", len(self.consumers))
        if self.embedded_kafka:
            self.embedded_kafka.close()


def build(settings: Settings | None = None, **overrides) -> System:
    settings = settings or load_settings(**overrides)
    embedded_kafka = None
    bootstrap = settings.kafka_bootstrap
    if not bootstrap:
        embedded_kafka = kafka.EmbeddedKafka(topics=[settings.topic(t) for t in topics.ALL])
        bootstrap = embedded_kafka.bootstrap
    log.info("Kafka bootstrap: %s%s", bootstrap, " (embedded mock cluster)" if embedded_kafka else "")
    connection.connect(settings.mongo_uri)

    producer = kafka.producer(bootstrap)
    repo = OrderRepository(history_cap=settings.history_inline_cap)
    relay = OutboxRelay(repo, producer, settings)
    scheduler = Scheduler(repo, producer, settings)

    route_writes(repo, relay, scheduler)
    repo.on_history = saga.history_committed

    handlers = saga.instrument_handlers(registry.load_all())
    engine = make_engine(settings, handlers)
    catalog = ModelCatalog(engine, on_deploy=lambda record: _publish_model(producer, settings, record),
                           on_model=saga.model_loaded)
    if not ProcessModel.objects.first():
        # An empty database may be a lost one: take the deployed versions back from their
        # compacted topic first, so bpmn/ never overwrites a version running orders use.
        from app.rebuild import read_topic, restore_models
        restore_models(read_topic(bootstrap, settings.topic(topics.MODELS)))
    catalog.deploy_directory(settings.bpmn_dir)

    faults = FaultInjector()  # one injector: dev faults reach the bank and the SMS outbox alike
    bank = (HttpBank(settings.bank_url, timeout_s=settings.bank_timeout_s) if settings.bank_url
            else SimulatedBank(faults=faults, passport_grace_days=settings.passport_grace_days))
    sms, signing = _signing(settings, faults)
    services = Services(bank=bank, sms=sms, signing=signing)
    pm = ProcessManager(repo, catalog, handlers, services, settings)
    if settings.embedded:
        seed_demo_data()
    system = System(settings=settings, bootstrap=bootstrap, repo=repo, catalog=catalog, bank=bank,
                    sms=sms, signing=signing, process_manager=pm, producer=producer, relay=relay,
                    scheduler=scheduler, embedded_kafka=embedded_kafka)
    gauges.GAUGE_COLLECTOR.watch(system)  # what /metrics reads at scrape time
    return system


def route_writes(repo: OrderRepository, relay: OutboxRelay, scheduler: Scheduler) -> None:
    """A write in this process tells the relay the events it queued and the scheduler the
    order's wake-up time."""
    def on_write(order_id, doc, queued):
        relay.hint(order_id, queued)
        scheduler.hint(order_id, doc)
    repo.on_write = on_write


def make_engine(settings: Settings, handler_names) -> ProcessEngine:
    return ProcessEngine(set(handler_names), settings.forms_dir,
                         default_retry=RetryPolicy(settings.retry_max_attempts, settings.retry_base_s),
                         script_limits=ScriptLimits(settings.script_max_steps, settings.script_timeout_s,
                                                    settings.script_max_value, settings.script_max_alloc))


def _publish_model(producer, settings: Settings, record) -> None:
    producer.produce(settings.topic(topics.MODELS), key=record.id.encode(),
                     value=json.dumps(model_record(record)).encode())
    producer.flush(10)


def _signing(settings: Settings, faults: FaultInjector):
    if settings.sms_url:
        sms = HttpSmsGateway(settings.sms_url, settings.sms_user, settings.sms_password)
    else:
        sms = DevOutbox(faults=faults)
    return sms, SigningService(sms, SigningSettings.from_settings(settings))


def seed_demo_data() -> None:
    password = password_hash(DEMO_PASSWORD)  # one argon2 hash (costly on purpose) for all
    for username, token, user_id, name, role, company in DEMO_USERS:
        User(id=user_id, username=username, name=name, role=role, company=company,
             password_hash=password, token_hash=token_hash(token)).save()
    for project in bank_seed.PROJECTS:
        Project(id=project["id"], name=project["name"], developer=project["developer"],
                developer_name=project.get("developer_name"),
                developer_account=project["developer_account"], bik=bank_seed.BANK_BIK).save()
