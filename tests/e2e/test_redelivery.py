"""Issue 2: Kafka delivers at least once. A redelivered command changes nothing, and a worker
that dies between a bank call and its save loses nothing: another worker takes over."""
import json
from dataclasses import asdict

import pytest

from app.messaging import commands, topics
from tests.e2e.harness import eventually, order_body


def handled(system) -> int:
    return sum(c.handled for c in system.consumers)


def test_a_redelivered_command_changes_nothing(api, bank, system):
    order_id = api.create(body=order_body(passport=("4606", "100001")))
    api.wait_status(order_id, "AWAITING_SIGNATURE")
    before = system.repo.get(order_id)
    effects = bank.snapshot_for_order(order_id)["effects"]
    start = commands.Command(type=commands.START, order_id=order_id, actor=before["created_by"],
                             id=before["applied_commands"][0])
    count = handled(system)
    for _ in range(2):  # the same message, delivered twice more
        system.producer.produce(system.settings.topic(topics.COMMANDS), key=order_id.encode(),
                                value=json.dumps(asdict(start)).encode())
    system.producer.flush(5)
    eventually(lambda: handled(system) >= count + 2)
    after = system.repo.get(order_id)
    assert after["version"] == before["version"] and after["history"] == before["history"]
    assert bank.snapshot_for_order(order_id)["effects"] == effects


class WorkerCrash(BaseException):
    """Not an error the worker handles: the thread dies like a killed process would."""


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_dying_after_a_bank_call_is_replaced_and_nothing_happens_twice(api, bank, system):
    crashed = []

    def crash_once(boundary, order_id, info):
        if boundary == "after_handler" and info.get("handler") == "escrow.reserve_account" and not crashed:
            crashed.append(order_id)
            raise WorkerCrash()
    system.process_manager.boundary_hook = crash_once
    try:
        order_id = api.create(body=order_body(passport=("4606", "200001")))
        eventually(lambda: crashed)
        assert bank.snapshot_for_order(order_id)["effects"]["escrow.reserve_account"] == 1
        assert system.repo.get(order_id)["status"] == "PROCESSING"   # the save never happened
        system.add_worker("worker-replacement")   # joins the group, gets the partition
        order = api.wait_status(order_id, "AWAITING_SIGNATURE", timeout=60)
    finally:
        system.process_manager.boundary_hook = None
    effects = bank.snapshot_for_order(order_id)["effects"]
    assert effects["escrow.reserve_account"] == 1 and effects["clients.create_depositor"] == 1
    assert [s["state"] for s in order["steps"] if s["name"] == "reserve_account"] == ["completed"]
