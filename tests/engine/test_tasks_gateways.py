"""Tasks of every kind and the four gateways, hand-written and as a modeler exports them."""
from datetime import timedelta

from .bpmn_kit import (
    chain, definitions, end, event, flow, message, message_def, process, script, service, start,
    timer_def, user,
)
from .helpers import NOW, complete_user, finish, roundtrip, user_tasks


def started(engine, build, *parts, data=None):
    inst = engine.start(build(definitions(*parts)), dict(data or {}))
    inst.advance(NOW)
    return roundtrip(engine, inst)


def test_none_and_manual_tasks_pass_through_as_in_camunda(engine, build):
    inst = started(engine, build, process(
        "p", start(), '<bpmn:task id="t"/>', '<bpmn:manualTask id="m" name="Sign the paper"/>',
        service("s"), end(), chain("start", "t", "m", "s", "end")))
    assert inst.ready_user_tasks() == []
    assert [c.step for c in inst.pending_service_calls()] == ["s"]
    assert inst.step_states()["m"] == "completed"


def test_receive_task_waits_for_its_message(engine, build):
    inst = started(engine, build, message("M_paid", "paid", variable="payment"), process(
        "p", start(), '<bpmn:receiveTask id="wait" messageRef="M_paid"/>', script("after", "seen = payment['sum']"),
        end(), chain("start", "wait", "after", "end")))
    assert inst.step_states()["wait"] == "waiting"
    assert not inst.send_message("other", {})
    assert inst.send_message("paid", {"sum": 5})
    inst.advance(NOW)
    assert inst.is_completed() and inst.data["seen"] == 5


def test_send_task_delivers_to_a_catcher_of_the_same_instance(engine, build):
    inst = started(engine, build, message("M_go", "go"), process(
        "p", start(), '<bpmn:parallelGateway id="fork"/>',
        '<bpmn:sendTask id="send" messageRef="M_go"/>', end("sent"),
        event("intermediateCatchEvent", "got", message_def("M_go")), service("s"), end(),
        '<bpmn:parallelGateway id="split2"/>',
        flow("start", "fork"), flow("fork", "got"), flow("fork", "split2"), flow("split2", "send"),
        chain("send", "sent"), chain("got", "s", "end")))
    assert [c.step for c in inst.pending_service_calls()] == ["s"]
    assert inst.step_states()["got"] == "completed"


def test_user_and_script_tasks(engine, build):
    inst = started(engine, build, process(
        "p", start(), user("review"), script("calc", "total = amount * 2"), end(),
        chain("start", "review", "calc", "end")), data={"amount": 1})
    assert list(user_tasks(inst)) == ["review"]
    inst = complete_user(engine, inst, "review", {"amount": 21})
    assert inst.is_completed() and inst.data["total"] == 42


INCLUSIVE = process(
    "p", start(), '<bpmn:inclusiveGateway id="split" default="to_c"/>',
    service("a"), service("b"), service("c"), '<bpmn:inclusiveGateway id="join"/>', service("after"), end(),
    flow("start", "split"), flow("split", "a", "x > 1"), flow("split", "b", "x > 2"),
    flow("split", "c", id="to_c"), chain("a", "join"), chain("b", "join"), chain("c", "join"),
    chain("join", "after", "end"))


def test_inclusive_gateway_takes_every_true_branch_and_joins_them(engine, build):
    inst = started(engine, build, INCLUSIVE, data={"x": 3})
    assert sorted(c.step for c in inst.pending_service_calls()) == ["a", "b"]
    inst, _ = finish(engine, inst, "b")
    assert [c.step for c in inst.pending_service_calls()] == ["a"]      # the join waits for a
    inst, _ = finish(engine, inst, "a")
    inst, _ = finish(engine, inst, "after")
    assert inst.is_completed()
    assert "c" not in inst.step_states() or inst.step_states()["c"] != "completed"


def test_inclusive_gateway_takes_the_default_when_nothing_holds(engine, build):
    inst = started(engine, build, INCLUSIVE, data={"x": 0})
    assert [c.step for c in inst.pending_service_calls()] == ["c"]
    inst, _ = finish(engine, inst, "c")
    inst, _ = finish(engine, inst, "after")
    assert inst.is_completed()


def test_inclusive_gateway_with_one_true_branch(engine, build):
    inst = started(engine, build, INCLUSIVE, data={"x": 2})
    assert [c.step for c in inst.pending_service_calls()] == ["a"]
    inst, _ = finish(engine, inst, "a")
    assert [c.step for c in inst.pending_service_calls()] == ["after"]


def test_parallel_gateway_forks_and_joins(engine, build):
    inst = started(engine, build, process(
        "p", start(), '<bpmn:parallelGateway id="fork"/>', service("a"), service("b"),
        '<bpmn:parallelGateway id="join"/>', end(),
        flow("start", "fork"), flow("fork", "a"), flow("fork", "b"), flow("a", "join"), flow("b", "join"),
        flow("join", "end")))
    assert sorted(c.step for c in inst.pending_service_calls()) == ["a", "b"]
    inst, _ = finish(engine, inst, "a", {"ra": 1})
    assert not inst.is_completed()
    inst, _ = finish(engine, inst, "b", {"rb": 2})
    assert inst.is_completed() and inst.data["ra"] == 1 and inst.data["rb"] == 2


def test_exclusive_gateway_with_default(engine, build):
    model = definitions(process(
        "p", start(), '<bpmn:exclusiveGateway id="gw" default="other"/>', service("big"), service("small"), end(),
        '<bpmn:exclusiveGateway id="merge"/>',
        flow("start", "gw"), flow("gw", "big", "amount >= 100"), flow("gw", "small", id="other"),
        flow("big", "merge"), flow("small", "merge"), flow("merge", "end")))
    for amount, step in ((500, "big"), (5, "small")):
        inst = engine.start(build(model), {"amount": amount})
        inst.advance(NOW)
        assert [c.step for c in inst.pending_service_calls()] == [step]


def test_event_based_gateway_with_a_receive_task_and_a_timer(engine, build):
    model = build(definitions(message("M_ok", "ok"), process(
        "p", start(), '<bpmn:eventBasedGateway id="gw"/>', '<bpmn:receiveTask id="answer" messageRef="M_ok"/>',
        event("intermediateCatchEvent", "late", timer_def("timeDuration", "PT1H")), end("answered"), end("expired"),
        flow("start", "gw"), flow("gw", "answer"), flow("gw", "late"), chain("answer", "answered"),
        chain("late", "expired"))))
    inst = engine.start(model, {})
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    assert inst.next_timer_at() == NOW + timedelta(hours=1)
    assert inst.send_message("ok", {"v": 1})
    inst.advance(NOW)
    assert inst.is_completed() and inst.step_states()["answered"] == "completed"
    inst = engine.start(model, {})
    inst.advance(NOW)
    inst.advance(NOW + timedelta(hours=2))
    assert inst.is_completed() and inst.step_states()["expired"] == "completed"
    assert not inst.send_message("ok", {})


def test_event_based_gateway_with_a_signal(engine, build):
    model = build(definitions(message("M_ok", "ok"), '<bpmn:signal id="S" name="abort"/>', process(
        "p", start(), '<bpmn:eventBasedGateway id="gw"/>', '<bpmn:receiveTask id="answer" messageRef="M_ok"/>',
        event("intermediateCatchEvent", "aborted", '<bpmn:signalEventDefinition signalRef="S"/>'),
        end("answered"), end("stopped"),
        flow("start", "gw"), flow("gw", "answer"), flow("gw", "aborted"), chain("answer", "answered"),
        chain("aborted", "stopped"))))
    inst = engine.start(model, {})
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    assert inst.send_signal("abort")
    inst.advance(NOW)
    assert inst.is_completed() and inst.step_states()["stopped"] == "completed"
    assert not inst.send_message("ok", {})


def test_a_loop_back_through_an_inclusive_gateway(engine, build):
    """An inclusive gateway chooses, so it may close a loop (validation: LOOP_BREAKERS)."""
    inst = started(engine, build, process(
        "p", start(), script("count", "n = n + 1"), service("work"), '<bpmn:inclusiveGateway id="again_gw" default="out"/>',
        end(), chain("start", "count", "work", "again_gw"), flow("again_gw", "count", "n < 3", id="again"),
        flow("again_gw", "end", id="out")), data={"n": 0})
    for _ in range(3):
        inst, _ = finish(engine, inst, "work")
    assert inst.is_completed() and inst.data["n"] == 3
