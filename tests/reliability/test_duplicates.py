"""Issue 14: every command delivered twice, and again late and in reverse order: the same outcome.

Kafka delivers at least once. Each generated scenario (tests/reliability/scenarios.py) runs with
a relay that publishes every command and event twice; its outcome must equal the run without
duplicates. Then every command of the order is delivered twice more, newest first (a relay
republishing long after: the only way one order's commands arrive out of order, since they share
a key and so a partition): nothing changes, not even the order's version.
"""
import json

import pytest

from tests.reliability.cases import Case
from tests.reliability.checks import case_problems
from tests.reliability.scenarios import generate


@pytest.fixture
def publishing_twice(plant):
    yield lambda: plant.restart_with(publish_twice=True)
    plant.restart_with(publish_twice=False)


@pytest.mark.timeout(600)
def test_every_command_twice_then_again_in_reverse_changes_nothing(runner, plant, publishing_twice,
                                                                  record_property):
    scenarios = generate(runner.system)
    problems = {}
    dry = [Case(s) for s in scenarios]
    runner.run(dry, on_done=lambda c: problems.update({c.name: p} if (p := case_problems(runner.system, c)) else {}))
    assert not problems, problems

    publishing_twice()
    expected = {c.scenario.name: c.outcome for c in dry}
    doubled = [Case(s) for s in scenarios]
    finished = []

    def check(case):
        found = case_problems(runner.system, case, expected[case.scenario.name])
        if found:
            problems[case.name] = found
        finished.append((case, snapshot(runner, case.order_id)))
    runner.run(doubled, on_done=check, keep=True)
    replayed = 0
    for case, _ in finished:
        late = list(reversed(plant.published[case.order_id.encode()])) * 2
        for value in late:
            runner.system.producer.produce(runner.system.settings.topic("order-commands"),
                                           key=case.order_id.encode(), value=value)
        replayed += len(late)
    runner.system.producer.flush(10)
    handled = plant.consumer.handled
    runner.pump_until(lambda: plant.consumer.handled - handled >= replayed, timeout_s=120)
    for case, before in finished:
        if snapshot(runner, case.order_id) != before:
            problems[case.name] = ["a late duplicate changed the order"]
        runner.forget(case.order_id)
    summary = {"scenarios": len(scenarios), "commands delivered twice": sum(
        len(plant.published[c.order_id.encode()]) for c, _ in finished),
        "late duplicates in reverse order": replayed, "failures": len(problems)}
    print(f"\nduplicates: {summary}")
    record_property("duplicates", summary)
    assert not problems, json.dumps(problems, indent=1)[:6000]


def snapshot(runner, order_id: str) -> tuple:
    doc = runner.system.repo.get(order_id)
    return (doc["version"], doc["status"], [h["id"] for h in runner.system.repo.full_history(doc)],
            runner.system.bank.snapshot_for_order(order_id)["effects"], len(runner.plant.sms.list(order_id=order_id)))
