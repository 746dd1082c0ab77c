"""Issue 14: the broker is unreachable for a while: the API keeps accepting (the outbox holds
what cannot be published), readiness says so, and the flow resumes when the broker is back.

The broker is a process of its own (`python -m app.messaging.broker`), frozen and thawed: the
embedded mock cluster cannot be restarted on the port it had (librdkafka picks the port), and a
frozen broker keeps it, like a broker behind a network partition.
"""
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_orders_are_accepted_while_the_broker_is_down_and_go_on_when_it_is_back():
    broker = subprocess.Popen([sys.executable, "-m", "app.messaging.broker"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        bootstrap = broker.stdout.readline().strip()
        run = subprocess.run([sys.executable, "-m", "tests.reliability.broker_outage", bootstrap, str(broker.pid)],
                             cwd=ROOT, capture_output=True, text=True, timeout=280)
        assert run.returncode == 0, run.stderr[-4000:]
        out = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        broker.send_signal(signal.SIGCONT)  # if the run died while it was frozen
        broker.terminate()
        broker.wait(timeout=30)
    print(f"\nbroker outage: {out}")
    assert out["before"] == ["AWAITING_SIGNATURE"] * 3
    assert out["accepted_while_down"] == 3
    assert set(out["progress_while_down"]) == {"DRAFT"}              # waiting in the outbox
    down = out["health_while_down"]
    assert down["code"] == 503 and "kafka" in json.dumps(down["body"])
    assert out["after"] == ["AWAITING_SIGNATURE"] * 3                 # resumed
    assert out["health_after"]["code"] == 200
    assert all(set(e.values()) == {1} for e in out["effects"])         # each effect once
