"""Log events and the ECS formatter, without a running system: allow-listed fields only, no
library extras, no exception text, the trace context on every line, and the step metrics."""
import logging

import pytest
from prometheus_client import REGISTRY

from app.observability import events, saga, trace
from handlers.base import BusinessError, StepCall, StepOutcome, TransientError
from tests.observability.capture import field, json_lines

ORDER = "ord_0123456789abcdef01234567"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_an_event_takes_only_allowed_fields():
    with pytest.raises(TypeError, match="last_name"):
        events.fields("x", order_id=ORDER, last_name="Ivanova")
    assert events.fields("x", order_id=ORDER, step="reserve_account", attempt=2) == {
        "event.kind": "event", "event.action": "x", "escrow.order.id": ORDER,
        "escrow.step": "reserve_account", "escrow.attempt": 2}


def test_an_id_that_is_no_id_is_left_out_of_the_event_and_its_message():
    with json_lines() as lines:
        events.emit(logging.WARNING, "x", "order {order_id}", order_id="Ivanova Anna")
    assert "Ivanova" not in str(lines) and lines[0]["message"] == "order -"


def test_library_extras_and_exception_text_never_reach_a_line():
    buyer = "Ivanova 4510 123456"
    with json_lines() as lines:
        logging.getLogger("app.somewhere").warning("lookup failed", extra={"passport": buyer})
        try:
            raise ValueError(buyer)  # the frames show this line, not the value
        except ValueError:
            logging.getLogger("app.somewhere").exception("unexpected")
    text = str(lines)
    assert "4510" not in text and "Ivanova" not in text and "passport" not in text
    assert field(lines[1], "error.type") == "ValueError" and "raise ValueError(buyer)" in field(lines[1], "error.stack_trace")
    assert all(field(line, "log.original") is None for line in lines)


def test_libraries_log_warnings_only_and_ours_follow_the_level():
    with json_lines(logging.DEBUG) as lines:
        logging.getLogger("spiff.task").info("State changed to READY")
        logging.getLogger("spiff.task").warning("a real problem")
        logging.getLogger("app.worker").debug("ours")
    assert [line["message"] for line in lines] == ["a real problem", "ours"]


def test_a_line_carries_the_trace_of_its_unit_of_work():
    token = trace.begin({"traceparent": TRACEPARENT})
    try:
        with json_lines() as lines:
            logging.getLogger("app.x").warning("inside")
        passed_on = trace.headers()["traceparent"]
    finally:
        trace.end(token)
    with json_lines() as outside:
        logging.getLogger("app.x").warning("outside")
    assert field(lines[0], "trace.id") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert field(lines[0], "transaction.id") not in (None, "00f067aa0ba902b7")  # a unit of its own
    assert passed_on.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-") and passed_on.endswith("-01")
    assert field(outside[0], "trace.id") is None


@pytest.mark.parametrize("header", [None, "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"])
def test_no_valid_traceparent_starts_a_new_trace(header):
    with trace.continued([("traceparent", header.encode())] if header else None):
        first = trace.ids()
    with trace.continued(None):
        second = trace.ids()
    assert first and second and first[0] != second[0] and int(first[0], 16) != 0
    assert trace.ids() is None


def test_kafka_headers_continue_the_trace():
    with trace.continued([("other", b"x"), ("traceparent", TRACEPARENT.encode())]):
        assert trace.ids()[0] == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_history_entries_become_events_without_their_personal_detail():
    entries = [
        {"actor": "u-m1", "action": "signature.confirmed",
         "detail": {"phone": "+79161234567", "document_hash": "abc"}},
        {"actor": "u-bo", "action": "task.completion_requested",
         "detail": {"step": "backoffice_review", "data": {"client_id": "C1", "last_name": "Petrova"}}},
        {"actor": "u-m1", "action": "order.cancel_requested", "detail": {"reason": "Ivanova changed her mind"}},
        {"actor": "worker", "action": "step.attempt_failed",
         "detail": {"step": "reserve_account", "handler": "escrow.reserve_account", "attempt": 1,
                    "error": "bank answered 503: client Ivanova"}},
        {"actor": "worker", "action": "status", "detail": {"from": "PROCESSING", "to": "ROLLED_BACK"}},
    ]
    with json_lines() as lines:
        saga.history_committed(ORDER, entries, {"company": "dev-1"})
    text = str(lines)
    assert "7916" not in text and "Petrova" not in text and "Ivanova" not in text and "503" not in text
    by_action = {field(line, "event.action"): line for line in lines}
    assert set(by_action) == {"signature.confirmed", "task.completion_requested", "order.cancel_requested",
                              "step.attempt_failed", "saga.rolled_back"}
    failed = by_action["step.attempt_failed"]
    assert failed["log.level"] == "warning" and field(failed, "escrow.step") == "reserve_account"
    assert field(failed, "escrow.attempt") == 1 and field(failed, "event.outcome") == "failure"
    assert by_action["saga.rolled_back"]["log.level"] == "warning"
    assert all(field(line, "escrow.order.id") == ORDER for line in lines)


def _sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_attempt_is_timed_by_step_and_outcome_and_retries_are_counted():
    def ok(call):
        return StepOutcome()

    def transient(call):
        raise TransientError("timeout")

    def business(call):
        raise BusinessError("project_closed")

    def broken(call):
        raise KeyError("x")
    ok.read_only = True
    wrapped = saga.instrument_handlers({"t.ok": ok, "t.transient": transient, "t.business": business,
                                        "t.broken": broken})
    assert wrapped["t.ok"].read_only is True
    step = "unit_step"
    before = {o: _sample("escrow_saga_step_duration_seconds_count", step=step, outcome=o)
              for o in ("ok", "transient", "business", "error")}
    retries = _sample("escrow_saga_step_retries_total", step=step)

    def call(attempt):
        return StepCall(order_id=ORDER, order={}, params={}, idempotency_key="k", attempt=attempt,
                        services=None, settings=None, now=None, step=step)
    with json_lines() as lines:
        wrapped["t.ok"](call(1))
        for name, error in (("t.transient", TransientError), ("t.business", BusinessError), ("t.broken", KeyError)):
            with pytest.raises(error):
                wrapped[name](call(2))
    for outcome in before:
        assert _sample("escrow_saga_step_duration_seconds_count", step=step, outcome=outcome) == before[outcome] + 1
    assert _sample("escrow_saga_step_retries_total", step=step) == retries + 3
    assert [field(line, "event.action") for line in lines] == ["step.retry"] * 3
    assert all(line["log.level"] == "warning" and field(line, "escrow.attempt") == 2 for line in lines)


def test_a_loaded_model_has_every_step_series_at_zero_before_its_first_attempt():
    """rate() sees a step's first failure only if the series was scraped before it, at zero."""
    from app.bootstrap import make_engine
    from app.config import Settings
    from app.process_models import ORDER_PROCESS
    from handlers import registry
    engine = make_engine(Settings(), registry.load_all())
    # Steps of names no other test runs (a forward step and a compensation handler renamed)
    files = {p.name: p.read_bytes().replace(b'"bind_account"', b'"bind_account_unseen"')
             .replace(b'"revoke_code"', b'"revoke_code_unseen"')
             for p in sorted(Settings().bpmn_dir.glob("*.bpmn"))}
    steps = ("bind_account_unseen", "revoke_code_unseen")
    assert REGISTRY.get_sample_value("escrow_saga_step_retries_total", {"step": steps[0]}) is None
    saga.model_loaded(engine.compile(engine.check(files, ORDER_PROCESS), ORDER_PROCESS))
    for step in steps:
        for outcome in ("ok", "transient", "business", "error"):
            labels = {"step": step, "outcome": outcome}
            assert REGISTRY.get_sample_value("escrow_saga_step_duration_seconds_count", labels) is not None, labels
        assert REGISTRY.get_sample_value("escrow_saga_step_retries_total", {"step": step}) is not None
