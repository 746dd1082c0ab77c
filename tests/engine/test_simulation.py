"""The simulator: the real engine driven by a scripted scenario, with the worker's failure rules."""
from datetime import datetime, timezone

import pytest

from app.engine import ModelError
from app.engine.simulation import Scenario, ScenarioError, simulate
from .bpmn_kit import (
    COMPENSATE, boundary, chain, compensated_by, definitions, end, error, error_def, event, event_subprocess, flow,
    message, mi, process, service as kit_service, signal, signal_def, start, timer_def, user as kit_user,
)
from .conftest import FIXTURES, read

EXPORTS = FIXTURES / "exports"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def run(engine, files, process_id=None, **scenario):
    return simulate(engine, files, Scenario(**scenario), process_id, start=T0)


def completed(result):
    return [t["element_id"] for t in result["trace"] if t["event"] == "completed"]


def events(result, element_id):
    return [t["event"] for t in result["trace"] if t["element_id"] == element_id]


def inline(body: str, messages: str = "") -> dict:
    return {"p.bpmn": f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  {messages}
  <bpmn:process id="p" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>"""}


def service(task_id, handler="op"):
    return (f'<bpmn:serviceTask id="{task_id}"><bpmn:extensionElements>'
            f'<spiffworkflow:serviceTaskOperator id="{handler}"/></bpmn:extensionElements></bpmn:serviceTask>')


SAGA_DATA = {"amount": 1, "escrow_account": "40817"}     # what the handlers would have returned


def test_a_parameter_that_cannot_be_evaluated_fails_the_run_at_its_element(engine):
    result = run(engine, read("saga.bpmn"), data={"amount": 1}, outcomes={"step3": ["fail"]})
    assert result["status"] == "failed"
    [problem] = [p for p in result["problems"] if p["severity"] == "error"]
    assert (problem["element_id"], problem["element_type"]) == ("undo2", "serviceTask")
    assert "escrow_account" in problem["message"]


def test_happy_path_completes_every_step_once(engine):
    result = run(engine, read("saga.bpmn"), data={"amount": 100})
    assert result["status"] == "completed" and result["end_events"] == ["end"]
    assert completed(result) == ["start", "step1", "step2", "step3", "end"]
    assert [t["seq"] for t in result["trace"]] == list(range(1, len(result["trace"]) + 1))
    assert result["counts"] == {"start": 1, "step1": 1, "step2": 1, "step3": 1, "end": 1}
    assert result["compensations"] == [] and result["waiting"] == [] and result["problems"] == []
    assert result["data"]["amount"] == 100


def test_a_step_that_fails_after_its_retries_compensates_in_reverse(engine):
    result = run(engine, read("saga.bpmn"), data=SAGA_DATA, outcomes={"step3": ["fail"]})
    assert result["status"] == "completed" and result["end_events"] == ["rolled_back"]
    assert result["compensations"] == ["undo2", "undo1"]
    assert events(result, "step3") == ["failed", "cancelled"]
    assert result["counts"]["undo2"] == result["counts"]["undo1"] == 1 and "step3" not in result["counts"]
    # step1 allows 5 attempts (its retry.max_attempts), the others the engine's default
    assert result["data"]["bpmn_error"]["message"] == "simulated technical failure (3 attempts)"
    first = run(engine, read("saga.bpmn"), data=SAGA_DATA, outcomes={"step1": ["fail"]})
    assert first["data"]["bpmn_error"]["message"] == "simulated technical failure (5 attempts)"
    assert first["compensations"] == []


def test_a_business_code_the_model_does_not_catch_is_rolled_back_as_step_failed(engine):
    result = run(engine, read("saga.bpmn"), data=SAGA_DATA, outcomes={"escrow.step2": ["error:closed"]})
    assert events(result, "step2") == ["error:closed", "cancelled"]
    assert result["compensations"] == ["undo1"] and result["end_events"] == ["rolled_back"]
    assert result["data"]["bpmn_error"] == {"code": "step_failed", "message": "closed: simulated business error",
                                            "step": "step2"}


def test_an_outcome_for_the_element_wins_over_one_for_its_handler(engine):
    result = run(engine, read("saga.bpmn"), data=SAGA_DATA,
                 outcomes={"step2": ["ok"], "escrow.step2": ["fail"]})
    assert result["status"] == "completed" and result["end_events"] == ["end"]


def test_an_error_nothing_catches_is_an_incident(engine):
    files = inline('<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>'
                   + service("work") + '<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>'
                   '<bpmn:endEvent id="end"/>')
    result = run(engine, files, outcomes={"work": ["error:refused"]})
    assert result["status"] == "incident"
    assert events(result, "work") == ["error:refused", "incident"]
    assert result["waiting"] == [{"element_id": "work", "element_type": "serviceTask"}]
    assert any(p["element_id"] == "work" and "caught nowhere" in p["message"] for p in result["problems"])


def test_a_failing_compensation_handler_is_an_incident(engine):
    result = run(engine, read("saga.bpmn"), data=SAGA_DATA,
                 outcomes={"step3": ["fail"], "undo2": ["error:still_open"]})
    assert result["status"] == "incident" and result["compensations"] == []
    assert events(result, "undo2") == ["error:still_open", "incident"]
    waiting = {w["element_id"] for w in result["waiting"]}
    assert waiting == {"undo2", "rollback"}     # the handler, and the throw that waits for it


def test_nested_sub_process_is_compensated_inside_out(engine):
    result = run(engine, read("nested.bpmn"), outcomes={"s3": ["fail"]})
    assert result["compensations"] == ["ua2", "ua1", "u1"]
    assert result["counts"]["ua2"] == 1 and result["end_events"] == ["sub_end", "rolled_back"]


def test_cancel_message_after_a_step_compensates_what_was_done(engine):
    result = run(engine, read("saga.bpmn"), data=SAGA_DATA,
                 messages=[{"name": "cancel_order", "payload": {}, "after": "step2"}])
    assert result["status"] == "completed" and result["end_events"] == ["cancelled"]
    assert result["compensations"] == ["undo2", "undo1"]
    assert events(result, "step3") == ["cancelled"]     # it was waiting for its handler


def test_user_tasks_complete_with_scripted_data_and_messages_interrupt_them(engine):
    files = read("signing.bpmn")
    signed = run(engine, files, data={"code_ttl": "PT5M"}, user_tasks={"sign_order": [{"code": "123456"}]})
    assert signed["status"] == "completed" and signed["data"]["code"] == "123456"
    # a new code requested once the first was sent: the open task is interrupted, the code sent
    # again; the second send fails and nothing in this model catches step_failed
    resent = run(engine, files, data={"code_ttl": "PT5M"}, outcomes={"send_code": ["ok", "fail"]},
                 messages=[{"name": "new_code_requested", "after": "send_code"}])
    assert resent["counts"]["send_code"] == 1 and events(resent, "sign_order") == ["cancelled"]
    assert events(resent, "send_code") == ["completed", "failed", "incident"]
    assert resent["status"] == "incident"


def test_timers_fire_when_nothing_else_can_happen(engine):
    files = inline('<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>'
                   '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
                   '<bpmn:timeDuration>"P3D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
                   '<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/><bpmn:endEvent id="end"/>')
    result = run(engine, files)
    assert result["status"] == "completed" and completed(result) == ["start", "wait", "end"]


def test_a_message_nobody_waits_for_and_one_never_sent_are_reported(engine):
    result = run(engine, read("saga.bpmn"), data=SAGA_DATA,
                 messages=[{"name": "cancel_order", "after": "end"}, {"name": "cancel_order", "after": "nowhere"}],
                 outcomes={"no_such_step": ["ok"]}, user_tasks={"ghost": [{}]})
    messages = [p["message"] for p in result["problems"]]
    assert any("not caught" in m for m in messages)
    assert any("never delivered" in m and "'nowhere'" in m for m in messages)
    assert any("outcomes" in m and "no_such_step" in m for m in messages)
    assert any("user_tasks" in m and "ghost" in m for m in messages)
    assert result["status"] == "completed"


LOOP = ('<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="count"/>'
        '<bpmn:scriptTask id="count"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="more"/>'
        '<bpmn:exclusiveGateway id="more"/>'
        '<bpmn:sequenceFlow id="again" sourceRef="more" targetRef="count">'
        '<bpmn:conditionExpression>n &lt; limit</bpmn:conditionExpression></bpmn:sequenceFlow>'
        '<bpmn:sequenceFlow id="done" sourceRef="more" targetRef="end">'
        '<bpmn:conditionExpression>n &gt;= limit</bpmn:conditionExpression></bpmn:sequenceFlow>'
        '<bpmn:endEvent id="end"/>')


def test_a_loop_counts_every_execution_and_stops_at_max_steps(engine):
    finite = run(engine, inline(LOOP), data={"n": 0, "limit": 5})
    assert finite["status"] == "completed" and finite["counts"]["count"] == 5 and finite["data"]["n"] == 5
    endless = run(engine, inline(LOOP), data={"n": 0, "limit": 10 ** 9}, max_steps=200)
    assert endless["status"] == "failed"
    assert any("max_steps=200" in p["message"] and p["severity"] == "error" for p in endless["problems"])
    timed = run(engine, inline(LOOP), data={"n": 0, "limit": 10 ** 9}, max_seconds=0.05, max_steps=10 ** 9)
    assert timed["status"] == "failed" and any("stopped after 0.05 s" in p["message"] for p in timed["problems"])


def test_a_failing_condition_fails_the_run_at_its_element(engine):
    result = run(engine, inline(LOOP), data={"n": 0})     # no `limit`
    assert result["status"] == "failed"
    [problem] = [p for p in result["problems"] if p["severity"] == "error"]
    assert problem["element_id"] == "more" and problem["element_type"] == "exclusiveGateway"
    assert "limit" in problem["message"]


def test_the_process_to_run_defaults_to_the_one_no_other_calls(engine):
    result = run(engine, read("call_main.bpmn", "call_child.bpmn"))
    assert result["status"] == "completed" and completed(result)[:3] == ["start", "start", "open"]
    assert result["end_events"] == ["end", "end"]
    with pytest.raises(ScenarioError) as ambiguous:
        run(engine, read("saga.bpmn", "nested.bpmn"))
    assert ambiguous.value.field == "process_id" and "nested" in str(ambiguous.value)
    with pytest.raises(ScenarioError):
        run(engine, read("saga.bpmn"), process_id="ghost")


def test_a_model_with_errors_is_refused_with_its_problems(engine):
    files = inline('<bpmn:startEvent id="start"/><bpmn:complexGateway id="cg"/>')
    with pytest.raises(ModelError) as refused:
        run(engine, files)
    assert {p.element_id for p in refused.value.errors} >= {"cg"}


def test_exports_of_other_tools_run(engine):
    trip = run(engine, {"trip.bpmn": (EXPORTS / "bpmnjs_trip.bpmn").read_bytes()},
               outcomes={"Activity_charge": ["fail"]})
    assert trip["compensations"] == ["Activity_cancel_flight", "Activity_cancel_hotel", "Activity_cancel_reservation"]
    assert trip["end_events"] == ["Event_book_end", "Event_rolled_back"]
    loan = run(engine, {"loan.bpmn": (EXPORTS / "camunda_modeler.bpmn").read_bytes()},
               user_tasks={"Activity_decide": [{"approved": True}]})
    assert loan["status"] == "completed" and loan["data"]["approved"] is True
    unbound = [p for p in loan["problems"] if p["element_id"] == "Activity_score" and "simulated" in p["message"]]
    assert unbound and unbound[0]["severity"] == "warning"
    hand = run(engine, {"h.bpmn": (EXPORTS / "handwritten_no_ids.bpmn").read_bytes()})
    assert hand["status"] == "completed" and hand["counts"]["join"] == 1


def test_nothing_is_kept_in_the_engine(engine):
    before = dict(engine._models)
    run(engine, {"trip.bpmn": (EXPORTS / "bpmnjs_trip.bpmn").read_bytes()})
    assert engine._models == before


def test_every_instance_of_a_multi_instance_activity_counts_once(engine):
    """counts: completed executions per element, every instance (the engine's task that holds
    the instances is not one of them); each instance takes the next outcome of its element."""
    files = {"p.bpmn": definitions(error("E", "declined"), process(
        "p", start(), kit_service("book", inner=mi("flats", "flat")), compensated_by("book", "unbook"),
        kit_service("pay"), boundary("declined", "pay", error_def("E")), end(), end("undone", COMPENSATE),
        chain("start", "book", "pay", "end"), flow("declined", "undone")))}
    paid = run(engine, files, data={"flats": ["A", "B", "C"]})
    assert paid["counts"]["book"] == 3 and events(paid, "book") == ["completed"] * 3
    undone = run(engine, files, data={"flats": ["A", "B", "C"]}, outcomes={"pay": ["error:declined"]})
    assert undone["counts"]["book"] == 3 and undone["compensations"] == ["unbook"] * 3
    failed = run(engine, files, data={"flats": ["A", "B", "C"]}, outcomes={"book": ["ok", "fail"]})
    assert events(failed, "book") == ["completed", "failed", "incident", "completed"]
    assert failed["status"] == "incident" and failed["counts"]["book"] == 2
    assert failed["waiting"] == [{"element_id": "book", "element_type": "serviceTask"}]


RECEIVE = definitions(message("M", "payment", variable="payment"), process(
    "p", start(), kit_service("a"), '<bpmn:eventBasedGateway id="gw"/>',
    '<bpmn:receiveTask id="wait" messageRef="M"/>', event("intermediateCatchEvent", "late", timer_def("timeDuration", "PT1H")),
    end("paid"), end("expired"), chain("start", "a", "gw"), flow("gw", "wait"), flow("gw", "late"), chain("wait", "paid"),
    chain("late", "expired")))


def test_receive_tasks_get_their_message_with_the_scripted_data(engine):
    """Even behind an event-based gateway (which then takes their path before a timer's)."""
    result = run(engine, {"p.bpmn": RECEIVE}, user_tasks={"wait": [{"sum": 5}]})
    assert result["end_events"] == ["paid"] and result["data"]["payment"] == {"sum": 5}
    assert run(engine, {"p.bpmn": RECEIVE})["data"]["payment"] == {}


def test_a_receive_task_whose_message_is_scripted_waits_for_it(engine):
    scripted = run(engine, {"p.bpmn": RECEIVE}, messages=[{"name": "payment", "payload": {"sum": 9}, "after": "a"}])
    assert scripted["end_events"] == ["paid"] and scripted["data"]["payment"] == {"sum": 9}
    # scripted after the timer: the timer's path is taken, and the message is caught by nobody
    late = run(engine, {"p.bpmn": RECEIVE}, messages=[{"name": "payment", "after": "late"}])
    assert late["end_events"] == ["expired"] and "wait" not in late["counts"]
    assert any("not caught" in p["message"] for p in late["problems"])


def test_signals_reach_every_catcher_after_their_element(engine):
    files = {"p.bpmn": definitions(signal("S", "stop"), process(
        "p", start(), kit_service("a"), kit_user("review"), boundary("halt", "review", signal_def("S")), end(),
        end("halted"), chain("start", "a", "review", "end"), flow("halt", "halted"),
        event_subprocess("watch", start("w0", signal_def("S"), 'isInterrupting="false"'), kit_service("log"),
                         end("w9"), chain("w0", "log", "w9"))))}
    result = run(engine, files, signals=[{"name": "stop", "after": "a"}])
    assert sorted(result["end_events"]) == ["halted", "w9"]
    assert events(result, "review") == ["cancelled"] and result["counts"]["log"] == 1
    assert "stop" not in result["data"]          # no payload scripted: nothing lands in the data
    with_payload = run(engine, files, signals=[{"name": "stop", "payload": {"by": "ops"}, "after": "a"}])
    assert with_payload["data"]["stop"] == {"by": "ops"}


def test_compensation_of_one_activity_ref(engine):
    result = run(engine, read("activity_ref.bpmn"), outcomes={"s3": ["error:compliance_refused"]},
                 user_tasks={"review": [{"note": "checked"}]})
    assert result["compensations"] == ["u1"] and "u2" not in result["counts"]
    assert result["end_events"] == ["rejected"] and result["data"]["note"] == "checked"
