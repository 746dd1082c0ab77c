"""Issue 14: a store that fails on save, and poison messages.

A store error is not the message's fault: the command is not committed, the worker pauses and
handles it again; nothing goes to the dead letters. A poison message (unparseable, of an unknown
type, or one whose handling fails every time) goes to the dead-letter topic and becomes an
incident on its order (the Kafka key), and the partition keeps flowing past it.
"""
import json
from dataclasses import asdict

from confluent_kafka import TopicPartition
from pymongo.errors import AutoReconnect

from app.messaging import commands, topics
from tests.reliability.cases import auth
from tests.reliability.checks import read_topic


def committed(plant, partition: int) -> int:
    topic = plant.settings.topic(topics.COMMANDS)
    [tp] = plant.kafka.committed([TopicPartition(topic, partition)], timeout=10)
    return tp.offset


def partition_of(runner, order_id: str) -> int:
    """The commands partition of an order (its key's), from a harmless wake-up the broker placed."""
    found = []
    wake = commands.Command(type=commands.WAKE, order_id=order_id, actor="test")
    runner.system.producer.produce(runner.system.settings.topic(topics.COMMANDS), key=order_id.encode(),
                                   value=json.dumps(asdict(wake)).encode(),
                                   on_delivery=lambda err, msg: found.append(msg.partition()))
    runner.system.producer.flush(10)
    return found[0]


def test_a_store_error_on_save_is_retried_and_the_offset_not_committed(runner, plant, monkeypatch):
    order_id = runner.create()
    partition = partition_of(runner, order_id)
    repo, original = runner.system.repo, runner.system.repo.save
    failures, offsets = [3], []

    def flaky_save(target, *args, **kwargs):
        if target == order_id and failures[0]:
            failures[0] -= 1
            offsets.append(committed(plant, partition))
            raise AutoReconnect("connection to the primary was reset")
        return original(target, *args, **kwargs)
    monkeypatch.setattr(repo, "save", flaky_save)
    retries = plant.consumer.store_retries
    doc = runner.wait_status(order_id, "AWAITING_SIGNATURE")
    assert failures == [0] and plant.consumer.store_retries - retries == 3
    assert len(set(offsets)) == 1                      # nothing committed while the store failed
    assert committed(plant, partition) > offsets[0]    # committed once it was saved
    assert not plant.dead_lettered(order_id) and not doc["incidents"]
    assert runner.system.bank.snapshot_for_order(order_id)["effects"] == {
        "clients.create_depositor": 1, "escrow.reserve_account": 1, "escrow.bind_to_developer": 1,
        "orders.create_depositor_order": 1}


def test_poison_messages_go_to_the_dead_letters_and_become_incidents(runner, plant):
    bystander = runner.create()
    orders = [runner.create() for _ in range(3)]
    for order_id in orders + [bystander]:
        runner.wait_status(order_id, "AWAITING_SIGNATURE")
    partition = partition_of(runner, bystander)
    undecodable, unknown, failing = orders
    topic = runner.system.settings.topic(topics.COMMANDS)
    producer = runner.system.producer
    # All on the bystander's partition, before the bystander's own next command.
    producer.produce(topic, key=undecodable.encode(), value=b"\x00{not json", partition=partition)
    producer.produce(topic, key=unknown.encode(), partition=partition, value=json.dumps(
        {"type": "order.explode", "order_id": unknown, "actor": "x", "payload": {}, "id": "cmd_x",
         "at": "2026-01-01T00:00:00+00:00"}).encode())
    producer.flush(10)
    plant.set_fault(failing, "signing.send_code", "bug")       # fails every time
    assert runner.client.post(f"/api/v1/orders/{failing}/signature/code", headers=auth("manager")).status_code == 202
    sign = runner.client.post(f"/api/v1/orders/{bystander}/signature", json={"code": runner.code(bystander)},
                              headers=auth("manager"))
    assert sign.status_code == 200
    runner.wait_status(bystander, "SIGNED")                    # the partition kept flowing
    for order_id in orders:
        runner.wait_status(order_id, "INCIDENT")
    letters = {json.loads(m["message"]).get("order_id") if m["message"].startswith("{") else "undecodable"
               for m in read_topic(runner.system.bootstrap, runner.system.settings.topic(topics.DEAD_LETTERS))
               if m["message"].startswith("{") or "not json" in m["message"]}
    assert {"undecodable", unknown, failing} <= letters
    incidents = {i["order_id"]: i for i in runner.client.get("/api/v1/incidents", headers=auth("admin"),
                                                             query_string={"status": "open"}).get_json()}
    assert set(orders) <= set(incidents)
    assert "undecodable" in incidents[undecodable]["step"] and "unknown command type" in incidents[unknown]["error"]
    assert "InjectedBug" in incidents[failing]["error"]

    # A retry of the failing command fails again: the same incident stays open, one attempt
    # more; once the bug is fixed, the retry goes through.
    incident = incidents[failing]
    assert runner.client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth("admin")).status_code == 202
    runner.pump_until(lambda: runner.system.repo.get(failing)["incidents"][0]["attempts"] == 2)
    assert [i["status"] for i in runner.system.repo.get(failing)["incidents"]] == ["open"]
    plant.clear_faults(failing)
    assert runner.client.post(f"/api/v1/incidents/{incident['id']}/retry", headers=auth("admin")).status_code == 202
    runner.wait_status(failing, "AWAITING_SIGNATURE")
    assert len(runner.plant.sms.list(order_id=failing)) == 2   # the new code was sent, once
    for order_id in (undecodable, unknown):                    # the operator looked: nothing lost
        incident = incidents[order_id]
        assert runner.client.post(f"/api/v1/incidents/{incident['id']}/resolve", json={"reason": "checked"},
                                  headers=auth("admin")).status_code == 202
        runner.wait_status(order_id, "AWAITING_SIGNATURE")
