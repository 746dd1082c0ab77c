"""`python -m app.rebuild`: restore orders and process models from the compacted Kafka topics.

For an operator who lost the database (or restores into a new one): it reads
escrow.process-models and escrow.order-context from the beginning to their current end, keeps
the newest record per key, and writes every order whose stored version is older (or missing).
Sagas that were in flight get a wake-up command, so a worker continues them where they were;
the bank's idempotency keys make sure no step takes effect twice.
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

log = logging.getLogger(__name__)
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
# Where the order document holds datetimes (the context record carries them as ISO strings).
_TIME_FIELDS = {"": ("created_at", "updated_at", "next_wake_at"),
                "steps": ("started_at", "finished_at", "retry_at"),
                "steps.compensation": ("started_at", "finished_at", "retry_at"),
                "history": ("at",), "incidents": ("created_at", "closed_at"),
                "open_tasks": ("created_at", "due_at"), "cancel_requested": ("at",)}


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
        else:
            value = record.get(path)
            holders = value if isinstance(value, list) else [value] if value else []
        for holder in holders:
            for name in names:
                if name in holder:
                    holder[name] = _time(holder[name])
    return record


def order_document(context: dict) -> dict:
    """The order document a context record stands for (outbox empty: nothing left to send)."""
    record = _restore_times(dict(context))
    record["_id"] = record.pop("id")
    record.pop("schema_version", None)
    record["outbox"] = []
    return record


def read_topic(bootstrap: str, topic: str, timeout_s: float = 30.0) -> dict[str, dict]:
    """The newest value per key (highest `version` when records carry one), up to the current end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"escrow-rebuild-{new_id('g')}",
                         "enable.auto.commit": False, "log_level": 3})
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
            for message in consumer.consume(500, 0.5):
                if message.error():
                    continue
                value = json.loads(message.value())
                key = message.key().decode()
                if value.get("version", 0) >= latest.get(key, {}).get("version", -1):
                    latest[key] = value
                if message.offset() + 1 >= ends.get(message.partition(), 0):
                    ends.pop(message.partition(), None)
        if ends:
            raise TimeoutError(f"could not read {topic} to its end in {timeout_s} s")
        return latest
    finally:
        consumer.close()


def rebuild(system) -> dict:
    """Restore into the system's database; returns counts."""
    from app.store.documents import ProcessModel
    settings, started = system.settings, time.monotonic()
    models = read_topic(system.bootstrap, settings.topic(topics.MODELS))
    for model in models.values():
        if not ProcessModel.objects(id=model["id"]).first():
            ProcessModel(id=model["id"], name=model["name"], version=model["version"],
                         spec_hash=model["spec_hash"], files=model["files"], spec_json=model["spec_json"],
                         deployed_at=_time(model["deployed_at"]), deployed_by=model["deployed_by"]).save()
    restored = resumed = 0
    for context in read_topic(system.bootstrap, settings.topic(topics.CONTEXT)).values():
        stored = system.repo.get(context["id"])
        if stored and stored.get("version", 0) >= context["version"]:
            continue
        doc = order_document(context)
        if not statuses.is_final(doc["status"]):
            wake = commands.Command(type=commands.WAKE, order_id=doc["_id"], actor="rebuild")
            doc["outbox"] = [wake.outbox_event()]
            resumed += 1
        system.repo.restore(doc)
        restored += 1
    return {"models": len(models), "orders": restored, "resumed": resumed,
            "seconds": round(time.monotonic() - started, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    from app.bootstrap import build
    logging.basicConfig(level=logging.INFO)
    system = build()
    print(json.dumps(rebuild(system)))
    system.relay.relay_once(wait=False)
    system.stop()


if __name__ == "__main__":
    main()
