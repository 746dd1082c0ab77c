"""Issue 11: what the system publishes matches asyncapi.yaml; the order-context topic holds every
order's current context (key = order id, growing versions, never a signing code).

Runs orders through the API of the shared running system, reads every topic to its end and
validates every record against the schemas of the AsyncAPI document.
"""
import json
import re
import time
from pathlib import Path

import pytest
import yaml
from confluent_kafka import Consumer, TopicPartition
from jsonschema import Draft7Validator

from app.messaging import commands, topics
from app.store import process_state
from app.store import signing as signing_store
from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, headers, order_body

ROOT = Path(__file__).resolve().parents[2]
ASYNCAPI = yaml.safe_load((ROOT / "asyncapi.yaml").read_text())
# Channel address -> topic name constant (the addresses carry the default prefix `escrow.`).
CHANNEL_TOPICS = {"escrow." + name: name for name in topics.ALL}


# --- helpers shared with test_rebuild.py ---------------------------------------------------------
def resolve(ref: str) -> dict:
    """A local `#/...` reference inside the AsyncAPI document."""
    node = ASYNCAPI
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def schema_validator(schema: dict) -> Draft7Validator:
    """A validator for `schema` whose `#/components/...` references resolve inside the document."""
    return Draft7Validator({**schema, "components": ASYNCAPI["components"]},
                           format_checker=Draft7Validator.FORMAT_CHECKER)


def channel_messages(address: str) -> dict[str, dict]:
    channel = next(c for c in ASYNCAPI["channels"].values() if c["address"] == address)
    return {name: resolve(m["$ref"]) for name, m in channel["messages"].items()}


def key_schema(message: dict) -> dict | None:
    for holder in [message] + [resolve(t["$ref"]) for t in message.get("traits", [])]:
        key = holder.get("bindings", {}).get("kafka", {}).get("key")
        if key is not None:
            return key
    return None


def read_raw(bootstrap: str, topic: str, timeout_s: float = 15.0) -> list[tuple[int, int, bytes | None, bytes]]:
    """Every record of `topic` up to its current end: (partition, offset, key, value), each
    partition in offset order."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-reader-{time.monotonic_ns()}",
                         "enable.auto.commit": False, "log_level": 3})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if metadata is None or metadata.error:
            return []
        ends = {}
        for p in metadata.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high > low:
                ends[p] = (low, high)
        consumer.assign([TopicPartition(topic, p, low) for p, (low, _) in ends.items()])
        found, remaining = [], dict(ends)
        deadline = time.monotonic() + timeout_s
        while remaining:
            assert time.monotonic() < deadline, f"{topic} could not be read to its end"
            for m in consumer.consume(1000, 0.2):
                if m.error() or m.partition() not in remaining:
                    continue
                found.append((m.partition(), m.offset(), m.key(), m.value()))
                if m.offset() + 1 >= remaining[m.partition()][1]:
                    remaining.pop(m.partition())
        found.sort(key=lambda r: (r[0], r[1]))
        return found
    finally:
        consumer.close()


def wait_drained(system, timeout_s: float = 15.0) -> None:
    """Until no order has an unpublished outbox event."""
    deadline = time.monotonic() + timeout_s
    while system.repo.with_pending_outbox():
        assert time.monotonic() < deadline, f"outbox not drained: {system.repo.with_pending_outbox()}"
        time.sleep(0.02)


def latest_context(system) -> dict[str, dict]:
    latest = {}
    for _p, _o, key, value in read_raw(system.bootstrap, system.settings.topic(topics.CONTEXT)):
        record = json.loads(value)
        if record["version"] >= latest.get(key.decode(), {}).get("version", -1):
            latest[key.decode()] = record
    return latest


def sms_codes(system, order_id: str) -> list[str]:
    return [m for msg in system.sms.list(order_id=order_id)
            for m in re.findall(r"code is (\d+)", msg["text"])]


def walk_keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from walk_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_keys(v)


# --- the orders -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def published(system):
    """A few orders in different states, one command for a missing order (a dead letter), then
    every topic read to its end once the outbox is drained."""
    from app.api.factory import create_app
    from tests.e2e.harness import Api
    api = Api(create_app(system).test_client())
    orders = {}
    orders["awaiting"] = api.create(body=order_body(passport=("4701", "100001")))
    orders["backoffice"] = api.create(body=order_body(passport=DUPLICATE_CLIENT_PASSPORT))
    orders["cancelled"] = api.create(body=order_body(passport=("4701", "100002")))
    api.wait_status(orders["awaiting"], "AWAITING_SIGNATURE")
    api.wait_status(orders["backoffice"], "BACKOFFICE_REVIEW")
    api.wait_status(orders["cancelled"], "AWAITING_SIGNATURE")
    assert api.post(f"/api/v1/orders/{orders['cancelled']}/cancel",
                    json={"reason": "buyer changed mind"}).status_code == 202
    api.wait_status(orders["cancelled"], "CANCELLED")
    system.bank.set_fault("escrow.bind_to_developer", -1)
    try:
        orders["rolled_back"] = api.create(body=order_body(passport=("4701", "100003")))
        api.wait_status(orders["rolled_back"], "ROLLED_BACK")
    finally:
        system.bank.reset()
    missing = commands.Command(type=commands.WAKE, order_id="ord_00000000000000000000dead", actor="test")
    system.producer.produce(system.settings.topic(topics.COMMANDS), key=missing.order_id.encode(),
                            value=json.dumps(missing.outbox_event()["value"]).encode())
    system.producer.flush(5)
    deadline = time.monotonic() + 10
    while not any(k == missing.order_id.encode() for *_, k, _v in
                  read_raw(system.bootstrap, system.settings.topic(topics.DEAD_LETTERS))):
        assert time.monotonic() < deadline, "the command for a missing order was not dead-lettered"
        time.sleep(0.05)
    wait_drained(system)
    views = {name: api.order(order_id, who="admin") for name, order_id in orders.items()}
    records = {address: read_raw(system.bootstrap, address) for address in CHANNEL_TOPICS}
    return {"orders": orders, "views": views, "records": records}


def test_the_document_covers_every_topic_and_command_type():
    assert ASYNCAPI["asyncapi"].startswith(("2.6", "3."))
    assert {c["address"] for c in ASYNCAPI["channels"].values()} == set(CHANNEL_TOPICS)
    command_names = {m["name"] for m in channel_messages("escrow.order-commands").values()}
    assert command_names == set(commands.TYPES)
    assert set(resolve("#/components/schemas/CommandType")["enum"]) == set(commands.TYPES)
    from app.domain import statuses
    assert set(resolve("#/components/schemas/Status")["enum"]) == set(statuses.ALL)
    compacted = {c["address"] for c in ASYNCAPI["channels"].values()
                 if c["bindings"]["kafka"]["topicConfiguration"]["cleanup.policy"] == ["compact"]}
    assert compacted == {"escrow.order-context", "escrow.process-models"}
    for message in [resolve(m["$ref"]) for c in ASYNCAPI["channels"].values() for m in c["messages"].values()]:
        Draft7Validator.check_schema(schema_validator(message["payload"]).schema)


def test_every_published_record_validates_against_asyncapi(published):
    seen = {}
    for address, records in published["records"].items():
        messages = channel_messages(address)
        assert records or address == "escrow.dead-letters", f"nothing on {address}"
        validators = {name: (schema_validator(m["payload"]), key_schema(m)) for name, m in messages.items()}
        for partition, offset, key, value in records:
            record = json.loads(value)
            matching = [name for name, (v, _) in validators.items() if v.is_valid(record)]
            where = f"{address}[{partition}]@{offset}"
            if len(matching) != 1:
                errors = {name: [e.message for e in v.iter_errors(record)][:3] for name, (v, _) in validators.items()}
                pytest.fail(f"{where} matches {matching or 'no message'}: {errors}\n{json.dumps(record)[:1500]}")
            name = matching[0]
            schema = validators[name][1]
            if schema is not None:
                decoded = key.decode() if key is not None else None
                errors = [e.message for e in schema_validator(schema).iter_errors(decoded)]
                assert not errors, f"{where}: key {decoded!r}: {errors}"
            seen.setdefault(address, set()).add(messages[name]["name"])
    assert {"order.start", "order.cancel", "order.wake"} <= seen["escrow.order-commands"]
    assert seen["escrow.order-events"] == {"order.status_changed"}
    assert seen["escrow.order-context"] == {"order.context"}
    assert seen["escrow.process-models"] == {"process.model"}
    assert seen["escrow.dead-letters"] == {"dead.letter"}


def test_the_schemas_reject_wrong_shapes(published):
    def one(address):
        return json.loads(published["records"][address][0][3])

    context = one("escrow.order-context")
    validator = schema_validator(channel_messages("escrow.order-context")["orderContext"]["payload"])
    assert validator.is_valid(context)
    for broken in ({**context, "status": "DONE"}, {**context, "version": "3"},
                   {k: v for k, v in context.items() if k != "version"},
                   {**context, "schema_version": 2}, {**context, "code_hash": "ab"},
                   {**context, "outbox": []}, {**context, "updated_at": "yesterday"},
                   {**context, "steps": [{"name": "x"}]},
                   {**context, "history": [{"id": "h", "at": context["created_at"], "actor": "a",
                                            "action": "x", "detail": {"code": "123456"}}]}):
        assert not validator.is_valid(broken), broken
    # ... but open where the payload is open: task data, results, the request itself.
    assert validator.is_valid({**context, "results": {**context["results"], "anything": {"x": 1}}})

    command = next(json.loads(v) for *_, v in published["records"]["escrow.order-commands"]
                   if json.loads(v)["type"] == "order.cancel")
    envelope = schema_validator({"oneOf": [m["payload"] for m in channel_messages("escrow.order-commands").values()]})
    assert envelope.is_valid(command)
    for broken in ({**command, "type": "order.explode"}, {**command, "payload": {}},
                   {**command, "payload": {"reason": 5}}, {**command, "extra": 1},
                   {**command, "type": "order.start"}, {**command, "order_id": "42"}):
        assert not envelope.is_valid(broken), broken
    task = {**command, "type": "task.complete", "payload": {"task_id": "t1", "data": {"any": ["thing"]}}}
    assert envelope.is_valid(task)

    event = one("escrow.order-events")
    events = schema_validator(channel_messages("escrow.order-events")["orderStatusChanged"]["payload"])
    assert events.is_valid(event)
    assert not events.is_valid({**event, "to": "NOPE"})
    assert not events.is_valid({k: v for k, v in event.items() if k != "at"})


def test_latest_context_per_order_is_its_current_state(system, published):
    latest = latest_context(system)
    for name, order_id in published["orders"].items():
        view, record = published["views"][name], latest[order_id]
        assert record["id"] == order_id
        assert (record["version"], record["status"]) == (view["version"], view["status"]), name
        assert record["version"] == system.repo.get(order_id)["version"]
        assert record["results"].get("client_id") == view["results"].get("client_id")
        assert [s["name"] for s in record["steps"]] == [s["name"] for s in view["steps"]]
        assert [(h["actor"], h["action"]) for h in record["history"]] == \
            [(h["actor"], h["action"]) for h in view["history"]]
        process = process_state.decode(record["process"])  # the engine state, enough to resume
        assert process and isinstance(process, dict)
    # every key is an order of this system, and the record names it
    for key, record in latest.items():
        assert record["id"] == key and system.repo.get(key) is not None


def test_versions_only_grow_per_key_in_offset_order(published):
    last: dict[bytes, int] = {}
    partition_of: dict[bytes, int] = {}
    for partition, offset, key, value in published["records"]["escrow.order-context"]:
        record = json.loads(value)
        assert key.decode() == record["id"]
        assert partition_of.setdefault(key, partition) == partition, "one key, one partition"
        assert record["version"] >= last.get(key, -1), f"{key!r}@{offset}: version went down"
        last[key] = record["version"]
    for order_id in published["orders"].values():
        assert order_id.encode() in last


def test_no_signing_code_or_its_hash_in_any_context_record(system, published):
    by_key: dict[str, list[bytes]] = {}
    for _p, _o, key, value in published["records"]["escrow.order-context"]:
        by_key.setdefault(key.decode(), []).append(value)
        assert not {"code", "code_hash", "code_salt"} & set(walk_keys(json.loads(value)))
    checked = 0
    for order_id in published["orders"].values():
        secrets = [re.compile(rb"(?<![0-9])" + c.encode() + rb"(?![0-9])") for c in sms_codes(system, order_id)]
        challenge = signing_store.load(order_id)
        hashes = [h.encode() for h in (challenge.code_hash, challenge.code_salt) if h] if challenge else []
        for raw in by_key[order_id]:
            for secret in secrets:
                assert not secret.search(raw), f"the SMS code of {order_id} is in its context"
            for value in hashes:
                assert value not in raw, f"the code hash/salt of {order_id} is in its context"
        checked += bool(secrets)
    assert checked >= 2  # the awaiting and the cancelled orders were sent a code


def test_dev_kafka_endpoint_tells_where_kafka_is(system, api):
    response = api.get("/api/v1/dev/kafka", who="admin")
    assert response.status_code == 200
    body = response.get_json()
    assert body["bootstrap"] == system.bootstrap and re.match(r"^[\w.-]+:\d+(,[\w.-]+:\d+)*$", body["bootstrap"])
    assert {system.settings.topic(t) for t in (topics.COMMANDS, topics.CONTEXT, topics.EVENTS,
                                               topics.MODELS)} <= set(body["topics"])
    assert api.get("/api/v1/dev/kafka", who="m1").status_code == 403
    assert api.client.get("/api/v1/dev/kafka").status_code == 401
    assert api.client.get("/api/v1/dev/kafka", headers=headers("bo")).status_code == 403
