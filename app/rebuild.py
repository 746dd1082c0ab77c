"""`python -m app.rebuild`: restore orders and process models from the compacted Kafka topics.

For an operator who lost the database, restored it from an old backup, or sets up a new one:
it reads escrow.process-models and escrow.order-context from the beginning to their current
end, keeps the newest record per key, and writes every order whose stored version is older (or
missing). Sagas that were in flight get a wake-up command, so a worker continues them where
they were; the bank's idempotency keys make sure no step takes effect twice.

Not restored (not in the topics): users and projects (master data: seed or restore them
separately) and signing challenges (a buyer whose order awaits a signature requests a new code).
See docs/context-topic.md.
"""
import argparse
import json
import logging
import re
import time
from datetime import datetime

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from app.domain import statuses
from app.domain.ids import new_id
from app.messaging import commands, topics
from app.messaging.context import SCHEMA_VERSION

log = logging.getLogger(__name__)
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
# Where the order document holds datetimes (the context record carries them as ISO strings).
# Everything else stays as it is in the record (e.g. ISO strings inside `results` stay strings).
_TIME_FIELDS = {"": ("created_at", "updated_at", "next_wake_at"),
                "steps": ("started_at", "finished_at", "retry_at"),
                "steps.compensation": ("started_at", "finished_at", "retry_at"),
                "history": ("at",), "incidents": ("created_at", "closed_at"),
                "open_tasks": ("created_at", "due_at"), "cancel_requested": ("at",),
                "signature_accepted": ("at",),
                "completed_tasks.*": ("at",)}


def _time(value):
    if isinstance(value, str) and _ISO_TIME.match(value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _restore_times(record: dict) -> dict:
    for path, names in _TIME_FIELDS.items():
        if path == "":
            holders = [record]
        elif path == "steps.compensation":
            holders = [s["compensation"] for s in record.get("steps") or [] if s.get("compensation")]
        elif path.endswith(".*"):  # a map of id -> entry
            holders = [v for v in (record.get(path[:-2]) or {}).values() if isinstance(v, dict)]
        else:
            value = record.get(path)
            holders = value if isinstance(value, list) else [value] if value else []
        for holder in holders:
            for name in names:
                if name in holder:
                    holder[name] = _time(holder[name])
    return record


def order_document(context: dict, history_cap: int | None = None) -> tuple[dict, list[dict]]:
    """The order document a context record stands for (outbox empty: nothing left to send),
    and the history entries that belong in order_history (all but the newest `history_cap`)."""
    record = _restore_times(json.loads(json.dumps(context)))  # a deep copy; the record stays as read
    record["_id"] = record.pop("id")
    record.pop("schema_version", None)
    if record.get("idempotency_scope") is None:  # sparse unique index: absent, never null
        record.pop("idempotency_scope", None)
    history = record.get("history") or []
    split = 0 if history_cap is None else max(0, len(history) - history_cap)
    older, record["history"] = history[:split], history[split:]
    record["outbox"] = []
    return record, older


def read_topic(bootstrap: str, topic: str, timeout_s: float = 60.0) -> dict[str, dict]:
    """The newest value per key, up to the end the topic had when reading began.

    Records are taken in offset order (one key is in one partition); a record with a lower
    `version` than one already seen for its key is a late duplicate and is ignored; of equal
    versions the later one wins. A tombstone (null value) deletes the key.
    """
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"escrow-rebuild-{new_id('g')}",
                         "enable.auto.commit": False, "enable.partition.eof": False, "log_level": 3})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        partitions = list(metadata.partitions) if metadata and not metadata.error else []
        ends = {}
        for p in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high > low:
                ends[p] = high
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        latest: dict[str, dict] = {}
        deadline = time.monotonic() + timeout_s
        while ends and time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.1):
                if message.error():
                    continue
                if message.partition() not in ends:  # already read to its end
                    continue
                key = message.key().decode()
                raw = message.value()
                if raw is None:
                    latest.pop(key, None)
                else:
                    value = json.loads(raw)
                    if value.get("version", 0) >= latest.get(key, {}).get("version", -1):
                        latest[key] = value
                if message.offset() + 1 >= ends[message.partition()]:
                    ends.pop(message.partition())
        if ends:
            raise TimeoutError(f"could not read {topic} to its end in {timeout_s} s")
        return latest
    finally:
        consumer.close()


def restore_models(models: dict[str, dict]) -> int:
    from app.store.documents import ProcessModel
    restored = 0
    for model in sorted(models.values(), key=lambda m: (m["name"], m["version"])):
        if not ProcessModel.objects(id=model["id"]).first():
            ProcessModel(id=model["id"], name=model["name"], version=model["version"],
                         spec_hash=model["spec_hash"], files=model["files"], spec_json=model["spec_json"],
                         deployed_at=_time(model["deployed_at"]), deployed_by=model["deployed_by"],
                         note=model.get("note")).save()
            restored += 1
    return restored


BATCH = 500  # orders restored per database round trip


def _history_rows(order_id: str, entries: list[dict]) -> list[dict]:
    return [{"_id": e["id"], "order_id": order_id, "at": e["at"], "actor": e["actor"],
             "action": e["action"], "detail": e.get("detail", {})} for e in entries]


def _write_batch(coll, history_coll, fresh: list[dict], stale: list[dict], history: list[dict]) -> None:
    """One batch: paged-out history, new orders in one insert, older stored ones replaced if
    still older (a worker may have saved a newer version meanwhile: that one stays)."""
    from pymongo.errors import BulkWriteError
    from app.store.connection import atomic
    with atomic():
        for row in history:  # few: only what exceeds the inline cap
            history_coll.replace_one({"_id": row["_id"]}, row, upsert=True)
        if fresh:
            try:
                coll.insert_many(fresh, ordered=False)
            except BulkWriteError:  # someone wrote some of them meanwhile: go one by one
                stale = stale + [d for d in fresh if coll.find_one({"_id": d["_id"]}, {"_id": 1})]
                for doc in fresh:
                    if not coll.find_one({"_id": doc["_id"]}, {"_id": 1}):
                        coll.insert_one(doc)
        for doc in stale:
            coll.replace_one({"_id": doc["_id"], "version": {"$lt": doc["version"]}}, doc)


def restore_orders(system, contexts: list[dict]) -> dict:
    """Write every context whose order is missing or older in the store; wake unfinished sagas."""
    from app.store.documents import HistoryEntry, Order
    coll, history_coll = Order._get_collection(), HistoryEntry._get_collection()
    counts = {"orders": 0, "resumed": 0, "up_to_date": 0, "unknown_schema": 0}
    known = []
    for context in contexts:
        if context.get("schema_version") != SCHEMA_VERSION:
            log.error("order %s: context schema_version %s is not %s; not restored",
                      context.get("id"), context.get("schema_version"), SCHEMA_VERSION)
            counts["unknown_schema"] += 1
        else:
            known.append(context)
    for start in range(0, len(known), BATCH):
        batch = known[start:start + BATCH]
        stored = {d["_id"]: d.get("version", 0)
                  for d in coll.find({"_id": {"$in": [c["id"] for c in batch]}}, {"version": 1})}
        fresh, stale, history = [], [], []
        for context in batch:
            if context["id"] in stored and stored[context["id"]] >= context["version"]:
                counts["up_to_date"] += 1
                continue
            doc, older_history = order_document(context, system.repo.history_cap)
            if not statuses.is_final(doc["status"]):
                wake = commands.Command(type=commands.WAKE, order_id=doc["_id"], actor="rebuild")
                doc["outbox"] = [wake.outbox_event()]
                counts["resumed"] += 1
            history += _history_rows(doc["_id"], older_history)
            (stale if doc["_id"] in stored else fresh).append(doc)
        _write_batch(coll, history_coll, fresh, stale, history)
        for doc in fresh + stale:
            counts["orders"] += 1
            if doc["outbox"] or doc.get("next_wake_at"):  # the relay and the scheduler take it from here
                system.repo.on_write(doc["_id"], doc, doc["outbox"])
    return counts


def rebuild(system, timeout_s: float = 60.0) -> dict:
    """Restore into the system's database; returns counts and the time it took."""
    settings, started = system.settings, time.monotonic()
    models = read_topic(system.bootstrap, settings.topic(topics.MODELS), timeout_s)
    models_restored = restore_models(models)
    contexts = read_topic(system.bootstrap, settings.topic(topics.CONTEXT), timeout_s)
    read_s = time.monotonic() - started
    counts = restore_orders(system, list(contexts.values()))
    return {"models": len(models), "models_restored": models_restored, "contexts": len(contexts),
            **counts, "read_seconds": round(read_s, 3), "seconds": round(time.monotonic() - started, 3)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to read each topic to its end (default 60)")
    args = parser.parse_args(argv)
    from types import SimpleNamespace
    from app.config import load_settings
    from app.messaging import kafka
    from app.messaging.outbox import OutboxRelay
    from app.store import connection
    from app.store.orders import OrderRepository
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    if not settings.kafka_bootstrap:
        raise SystemExit("set ESCROW_KAFKA_BOOTSTRAP: the embedded default starts an empty Kafka, "
                         "there is nothing to rebuild from")
    if settings.mongo_uri.startswith("mongomock"):
        log.warning("ESCROW_MONGO_URI is mongomock: the rebuilt database lives only as long as this "
                    "command (a check that the topics restore)")
    # Only the store and Kafka: no model deployment (into an empty database it would number
    # bpmn/ version 1 and publish it over the real version 1), no demo data, no worker.
    connection.connect(settings.mongo_uri)
    producer = kafka.producer(settings.kafka_bootstrap)
    repo = OrderRepository(history_cap=settings.history_inline_cap)
    relay = OutboxRelay(repo, producer, settings)
    system = SimpleNamespace(settings=settings, bootstrap=settings.kafka_bootstrap, repo=repo)
    print(json.dumps(rebuild(system, args.timeout)), flush=True)
    deadline = time.monotonic() + args.timeout  # publish the wake-ups before leaving
    while (pending := repo.with_pending_outbox()) and time.monotonic() < deadline:
        relay.publish([o for o in (repo.get(p["_id"]) for p in pending) if o])
    if pending:
        raise SystemExit(f"{len(pending)} orders still have wake-ups to publish: they stay in their "
                         "outbox, and the relay of the next app or worker to start publishes them")


if __name__ == "__main__":
    main()
