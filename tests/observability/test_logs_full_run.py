"""The console of a full `make run` (`python -m app`) driven along every path: one ECS JSON
object per line; each failure, retry, compensation, rollback, incident, dead letter and
escalation an event of its own; one order followed by trace.id from the API request to the
worker's last step; no personal data in any line; no library noise."""
import json
import re
from collections import Counter

import pytest
import yaml

from tests.observability import ecs
from tests.observability.capture import field, flat
from tests.observability.full_run import TRACE_ID, full_run, personal_data
from tests.ops.tools import ROOT

ASYNCAPI = yaml.safe_load((ROOT / "asyncapi.yaml").read_text())
SAGA_STEPS = ["compliance_check", "find_client", "create_client", "reserve_account", "bind_account",
              "create_depositor_order", "send_code"]


@pytest.fixture(scope="module")
def console():
    run, raw = full_run()
    lines = []
    for text in raw:
        try:
            lines.append(json.loads(text))
        except ValueError:
            lines.append({"not json": text})
    return run, raw, lines


def events(lines, action: str, **fields) -> list[dict]:
    return [line for line in lines if field(line, "event.action") == action
            and all(field(line, name.replace("__", ".")) == value for name, value in fields.items())]


def test_every_line_is_one_ecs_json_object(console):
    _run, raw, lines = console
    assert len(raw) > 100
    assert [line["not json"] for line in lines if "not json" in line] == []
    bad = {problem for line in lines for problem in ecs.problems(line)}
    assert bad == set()
    assert {line["service"]["name"] for line in lines} == {"escrow-api"}


def test_the_ecs_check_refuses_what_is_not_ecs():
    assert ecs.problems({"http": {"route": "/x"}}) == ["http.route: not an ECS field"]
    assert ecs.problems({"event": {"duration": "5"}, "escrow": {"anything": 1}}) == \
        ["event.duration: '5' is not of ECS type long"]
    assert ecs.problems({"event": {"outcome": "maybe"}}) == ["event.outcome: 'maybe' is not an allowed value"]


def test_each_failure_and_recovery_is_an_event_of_its_own(console):
    _run, _raw, lines = console
    expected = {  # event.action -> level
        "step.attempt_failed": "warning", "step.retry": "warning", "step.compensated": "warning",
        "step.compensation_failed": "error", "saga.rolled_back": "warning", "incident.opened": "error",
        "message.dead_lettered": "error", "backoffice.escalated": "warning", "step.refused": "warning",
    }
    for action, level in expected.items():
        found = events(lines, action)
        assert found, f"no {action} event"
        assert {line["log.level"] for line in found} == {level}, action
        assert all(field(line, "escrow.order.id") for line in found if action != "message.dead_lettered"), action
    failed = events(lines, "step.compensation_failed")[0]
    assert field(failed, "escrow.step") == "reserve_account"
    assert field(failed, "escrow.handler") == "escrow.release_account"
    assert len(events(lines, "message.dead_lettered")) == 2


def test_one_order_is_followed_by_trace_id_from_the_request_to_the_last_step(console):
    run, _raw, lines = console
    order_id = run.orders["signed"]
    traced = [line for line in lines if field(line, "trace.id") == TRACE_ID]
    request = events(traced, "http.request", http__request__method="POST")
    assert [field(line, "escrow.http.route") for line in request] == ["/api/v1/orders"]
    assert {field(line, "escrow.order.id") for line in traced if field(line, "escrow.order.id")} == {order_id}
    assert events(traced, "order.created")
    completed = [field(line, "escrow.step") for line in events(traced, "step.completed")]
    assert completed == SAGA_STEPS, "every step, the retried one too (the wake-up carried the trace)"
    assert events(traced, "step.retry", escrow__step="reserve_account")
    assert events(traced, "order.status_changed", escrow__status__to="AWAITING_SIGNATURE")
    threads = {field(line, "process.thread.name") for line in traced}
    assert "worker-1" in threads and len(threads) >= 2, "the API thread, then the worker"

    # The signature: a request without a traceparent gets a trace of its own, and the worker
    # finishes the order in it.
    [signed] = events(lines, "http.request", escrow__order__id=order_id, http__response__status_code=200,
                      escrow__http__route="/api/v1/orders/<order_id>/signature")
    own = field(signed, "trace.id")
    assert re.fullmatch(r"[0-9a-f]{32}", own) and own != TRACE_ID
    assert events(lines, "order.status_changed", trace__id=own, escrow__order__id=order_id,
                  escrow__status__to="SIGNED")


def test_commands_and_events_carry_the_trace_context_as_kafka_headers(console):
    run, _raw, _lines = console
    header = ASYNCAPI["components"]["messageTraits"]["traced"]["headers"]["properties"]["traceparent"]
    starts = [(v, h) for v, h in run.published["escrow.order-commands"] if v and v["type"] == "order.start"]
    assert len(starts) == len(run.orders)
    assert all(re.fullmatch(header["pattern"], h.get("traceparent", "")) for _v, h in starts)
    [(_v, first)] = [(v, h) for v, h in starts if v["order_id"] == run.orders["signed"]]
    assert first["traceparent"].split("-")[1] == TRACE_ID
    wakes = [h for v, h in run.published["escrow.order-commands"] if v and v["type"] == "order.wake"]
    assert wakes and all(re.fullmatch(header["pattern"], h["traceparent"]) for h in wakes)
    changes = run.published["escrow.order-events"]
    assert changes and all(re.fullmatch(header["pattern"], h["traceparent"]) for _v, h in changes)


def test_no_personal_data_in_any_line(console):
    run, raw, lines = console
    secrets = personal_data() | run.codes
    assert len(run.codes) >= 5
    patterns = {value: re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", re.IGNORECASE)
                for value in secrets}
    leaks = []
    for text, line in zip(raw, lines):
        strings = [v for v in flat(line).values() if isinstance(v, str)]
        for value, pattern in patterns.items():
            if any(pattern.search(s) for s in strings):
                leaks.append((value, text[:300]))
    assert leaks == []


def test_library_noise_is_silenced(console):
    _run, raw, lines = console
    assert not [text for text in raw if "State changed" in text]
    loggers = Counter(field(line, "log.logger").split(".")[0] for line in lines)
    assert set(loggers) <= {"app", "handlers", "escrow", "gunicorn", "librdkafka"}, loggers
    assert not [line for line in lines if field(line, "log.logger").startswith(("gunicorn.access", "werkzeug"))]
    assert {line["log.level"] for line in lines if loggers and field(line, "log.logger") == "gunicorn.error"} \
        <= {"info", "warning", "error", "critical"}, "gunicorn at its own level, not the app's DEBUG"
