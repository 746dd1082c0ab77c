"""Sub-processes and event sub-processes at every level; errors, escalations, signals, terminate.

BPMN 2.0.2 10.5.6, 13.5: an error goes to the innermost catcher (boundary of the activity,
then event sub-process of the scope, then one level up); interrupting event sub-processes
cancel their scope and end it; non-interrupting ones run beside it.
"""
import pytest

from app.engine import UnhandledBpmnError
from .bpmn_kit import (
    boundary, chain, definitions, end, error, error_def, escalation, escalation_def, event,
    event_subprocess, flow, message, message_def, process, script, service, signal, signal_def,
    start, subprocess, user,
)
from .helpers import NOW, call_for, finish, roundtrip


def started(engine, model, data=None):
    inst = engine.start(model, dict(data or {}))
    inst.advance(NOW)
    return roundtrip(engine, inst)


def steps(inst):
    return sorted(c.step for c in inst.pending_service_calls())


ERROR_SCOPES = definitions(error("E", "boom"), process(
    "p", start(),
    subprocess("sub", start("s0"), service("inner"), end("s9"), chain("s0", "inner", "s9"),
               event_subprocess("sub_on_error", start("es0", error_def("E")), script("es_note", "handled_in = 'sub'"),
                                end("es9"), chain("es0", "es_note", "es9"))),
    boundary("sub_failed", "sub", error_def("E")), service("after"), service("recover"), end(), end("end2"),
    chain("start", "sub", "after", "end"), chain("sub_failed", "recover", "end2")))


def test_error_is_caught_by_the_event_subprocess_of_its_own_scope_first(engine, build, style):
    inst = started(engine, build(ERROR_SCOPES))
    inst.fail_service(call_for(inst, "inner").task_id, "boom", "no")
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    # the sub-process' own interrupting event sub-process handled it and ended the sub-process
    assert steps(inst) == ["after"]
    assert inst.step_states()["sub_failed"] == "cancelled"
    inst, _ = finish(engine, inst, "after")
    assert inst.is_completed() and inst.data["handled_in"] == "sub"
    assert inst.data["bpmn_error"] == {"code": "boom", "message": "no", "step": "inner"}


def test_error_without_an_inner_catcher_goes_to_the_boundary_of_the_subprocess(engine, build):
    model = build(definitions(error("E", "boom"), error("F", "other"), process(
        "p", start(), subprocess("sub", start("s0"), service("inner"), end("s9"), chain("s0", "inner", "s9"),
                                 event_subprocess("es", start("es0", error_def("F")), end("es9"), chain("es0", "es9"))),
        boundary("sub_failed", "sub", error_def("E")), service("recover"), end(), end("end2"),
        chain("start", "sub", "end"), chain("sub_failed", "recover", "end2"))))
    inst = started(engine, model)
    inst.fail_service(call_for(inst, "inner").task_id, "boom", "x")
    inst.advance(NOW)
    assert steps(inst) == ["recover"]
    assert inst.step_states()["sub"] == "cancelled" and inst.step_states()["inner"] == "cancelled"


def test_a_boundary_event_of_another_activity_does_not_catch(engine, build):
    """3.2.0 lets any waiting error catcher of the sub-process catch; BPMN scopes it."""
    model = build(definitions(error("E", "boom"), process(
        "p", start(), '<bpmn:parallelGateway id="fork"/>', service("a"), service("b"),
        boundary("a_failed", "a", error_def("E")), service("recover"), end("ea"), end("eb"), end("er"),
        flow("start", "fork"), flow("fork", "a"), flow("fork", "b"), chain("a", "ea"), chain("b", "eb"),
        chain("a_failed", "recover", "er"))))
    inst = started(engine, model)
    b = call_for(inst, "b")
    with pytest.raises(UnhandledBpmnError):
        inst.fail_service(b.task_id, "boom", "b failed")
    assert steps(inst) == ["a", "b"]
    inst.fail_service(call_for(inst, "a").task_id, "boom", "a failed")
    inst.advance(NOW)
    assert steps(inst) == ["b", "recover"]


def test_message_event_subprocesses_inside_a_subprocess(engine, build, style):
    model = build(definitions(message("M_note", "note"), message("M_stop", "stop"), process(
        "p", start(),
        subprocess("sub", start("s0"), service("inner"), end("s9"), chain("s0", "inner", "s9"),
                   event_subprocess("noted", start("n0", message_def("M_note"), 'isInterrupting="false"'),
                                    script("count", "note_seen = True"),
                                    end("n9"), chain("n0", "count", "n9")),
                   event_subprocess("stopped", start("x0", message_def("M_stop")), service("cleanup"),
                                    end("x9"), chain("x0", "cleanup", "x9"))),
        service("after"), end(), chain("start", "sub", "after", "end"))))
    inst = started(engine, model)
    assert inst.send_message("note", {})
    assert inst.send_message("note", {})        # a new instance each time
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    assert steps(inst) == ["inner"]              # non-interrupting: the work goes on
    assert inst.send_message("stop", {})
    inst.advance(NOW)
    assert steps(inst) == ["cleanup"]            # interrupting: inner is gone
    assert inst.step_states()["inner"] == "cancelled"
    assert not inst.send_message("stop", {})     # no second interrupting handler (13.5)
    inst, _ = finish(engine, inst, "cleanup")
    assert steps(inst) == ["after"]              # the handler ended the sub-process
    inst, _ = finish(engine, inst, "after")
    assert inst.is_completed()
    assert not inst.send_message("note", {})     # the scope is gone


def test_message_event_subprocess_of_a_finished_subprocess_is_gone(engine, build):
    model = build(definitions(message("M_note", "note"), process(
        "p", start(), subprocess("sub", start("s0"), service("inner"), end("s9"), chain("s0", "inner", "s9"),
                                 event_subprocess("noted", start("n0", message_def("M_note")), end("n9"),
                                                  chain("n0", "n9"))),
        service("after"), end(), chain("start", "sub", "after", "end"))))
    inst = started(engine, model)
    inst, _ = finish(engine, inst, "inner")
    assert steps(inst) == ["after"]
    assert not inst.send_message("note", {})


def test_escalation_non_interrupting_boundary_and_event_subprocess(engine, build, style):
    model = build(definitions(escalation("X", "late"), process(
        "p", start(),
        subprocess("sub", start("s0"), event("intermediateThrowEvent", "warn", escalation_def("X")),
                   service("inner"), end("s9"), chain("s0", "warn", "inner", "s9")),
        boundary("sub_late", "sub", escalation_def("X"), interrupting=False), service("notify"), end("n9"),
        service("after"), end(), chain("start", "sub", "after", "end"), chain("sub_late", "notify", "n9"))))
    inst = started(engine, model)
    assert steps(inst) == ["inner", "notify"]        # both: the boundary does not interrupt
    inst, _ = finish(engine, inst, "notify")
    inst, _ = finish(engine, inst, "inner")
    inst, _ = finish(engine, inst, "after")
    assert inst.is_completed()
    assert inst.step_states()["sub_late"] == "completed"


def test_uncaught_escalation_changes_nothing(engine, build):
    model = build(definitions(escalation("X", "late"), process(
        "p", start(), event("intermediateThrowEvent", "warn", escalation_def("X")), service("s"), end(),
        chain("start", "warn", "s", "end"))))
    inst = started(engine, model)
    assert steps(inst) == ["s"]


def test_escalation_end_event_starts_an_event_subprocess_one_level_up(engine, build):
    model = build(definitions(escalation("X", "late"), process(
        "p", start(),
        subprocess("sub", start("s0"), end("s9", escalation_def("X")), chain("s0", "s9")),
        event_subprocess("on_late", start("l0", escalation_def("X"), 'isInterrupting="false"'), service("notify"),
                         end("l9"), chain("l0", "notify", "l9")),
        service("after"), end(), chain("start", "sub", "after", "end"))))
    inst = started(engine, model)
    assert steps(inst) == ["after", "notify"]
    inst, _ = finish(engine, inst, "after")
    assert not inst.is_completed()                  # the running handler keeps the process open
    inst, _ = finish(engine, inst, "notify")
    assert inst.is_completed()


SIGNALS = definitions(signal("S", "go"), process(
    "p", start(), '<bpmn:parallelGateway id="fork"/>',
    event("intermediateCatchEvent", "wait", signal_def("S")), service("after_signal"), end("e1"),
    subprocess("sub", start("s0"), service("inner"), end("s9"), chain("s0", "inner", "s9"),
               event_subprocess("on_go", start("g0", signal_def("S"), 'isInterrupting="false"'),
                                script("mark", "seen_in_sub = True"), end("g9"), chain("g0", "mark", "g9"))),
    boundary("sub_go", "sub", signal_def("S"), interrupting=False), service("on_boundary"), end("e3"),
    service("trigger"), end("e2", signal_def("S")), end("e4"),
    flow("start", "fork"), flow("fork", "wait"), flow("fork", "sub"), flow("fork", "trigger"),
    chain("wait", "after_signal", "e1"), chain("trigger", "e2"), chain("sub", "e4"),
    chain("sub_go", "on_boundary", "e3")))


def test_signal_end_event_reaches_every_catcher(engine, build, style):
    """3.2.0 drops the signal of a signal end event; here it reaches all catchers."""
    inst = started(engine, build(SIGNALS))
    assert steps(inst) == ["inner", "trigger"]
    inst, _ = finish(engine, inst, "trigger")
    assert steps(inst) == ["after_signal", "inner", "on_boundary"]
    assert inst.step_states()["mark"] == "completed"


def test_signal_from_outside(engine, build):
    inst = started(engine, build(SIGNALS))
    assert inst.send_signal("go")
    inst.advance(NOW)
    assert steps(inst) == ["after_signal", "inner", "on_boundary", "trigger"]
    assert not inst.send_signal("nobody listens")


def test_terminate_end_event_in_a_subprocess_ends_only_the_subprocess(engine, build):
    model = build(definitions(process(
        "p", start(),
        subprocess("sub", start("s0"), '<bpmn:parallelGateway id="fork"/>', service("slow"),
                   end("stop", "<bpmn:terminateEventDefinition/>"), end("s9"),
                   flow("s0", "fork"), flow("fork", "slow"), flow("fork", "stop"), flow("slow", "s9")),
        service("after"), end(), chain("start", "sub", "after", "end"))))
    inst = started(engine, model)
    assert steps(inst) == ["after"]
    assert inst.step_states()["slow"] == "cancelled"


def test_error_end_event_of_a_called_process_with_its_payload(engine):
    child = definitions(
        '<bpmn:error id="E" name="refused" errorCode="refused"><bpmn:extensionElements>'
        '<spiffworkflow:payloadExpression>{"why": reason}</spiffworkflow:payloadExpression>'
        '</bpmn:extensionElements></bpmn:error>',
        process("child", start("c0"), script("decide", "reason = 'limit'"), end("c9", error_def("E")),
                chain("c0", "decide", "c9")))
    main = definitions(error("E2", "refused"), process(
        "p", start(), '<bpmn:callActivity id="call" calledElement="child"/>',
        boundary("call_refused", "call", error_def("E2")), service("after"), service("handle"), end(), end("e2"),
        chain("start", "call", "after", "end"), chain("call_refused", "handle", "e2")))
    model = engine.parse({"main.bpmn": main, "child.bpmn": child}, "p")
    inst = started(engine, model)
    call = call_for(inst, "handle")
    assert call.step == "handle"
    [task] = [t for t in inst.wf.get_tasks() if getattr(t.task_spec, "bpmn_id", None) == "handle"]
    assert task.data["bpmn_error"] == {"code": "refused", "message": "refused", "step": "c9",
                                       "payload": {"why": "limit"}}


def test_process_started_by_a_signal_waits_for_it(engine, build):
    model = build(definitions(signal("S", "go"), process(
        "p", start("start", signal_def("S")), service("s"), end(), chain("start", "s", "end"))))
    inst = started(engine, model)
    assert steps(inst) == [] and inst.step_states()["start"] == "waiting"
    assert inst.send_signal("go", {"by": "ops"})
    inst.advance(NOW)
    assert steps(inst) == ["s"]


def test_message_end_event_and_signal_throw_reach_other_branches(engine, build):
    model = build(definitions(message("M", "ready"), signal("S", "go"), process(
        "p", start(), '<bpmn:parallelGateway id="fork"/>',
        event("intermediateCatchEvent", "wait_ready", message_def("M")),
        event("intermediateCatchEvent", "wait_go", signal_def("S")), service("after"), end("e1"),
        event("intermediateThrowEvent", "say_go", signal_def("S")), end("say_ready", message_def("M")),
        flow("start", "fork"), flow("fork", "wait_ready"), flow("fork", "say_go"),
        chain("wait_ready", "wait_go", "after", "e1"), chain("say_go", "say_ready"))))
    inst = started(engine, model)
    # the signal is thrown before wait_go is reached (only the message leads there): it is lost,
    # as BPMN says: a signal reaches those waiting at the moment it is thrown
    states = inst.step_states()
    assert states["say_ready"] == "completed" and states["wait_ready"] == "completed"
    assert states["wait_go"] == "waiting" and steps(inst) == []
    assert inst.send_signal("go")
    inst.advance(NOW)
    assert steps(inst) == ["after"]


def test_event_subprocess_of_a_called_process(engine):
    child = definitions(message("M", "stop"), process(
        "child", start("c0"), service("work"), end("c9"), chain("c0", "work", "c9"),
        event_subprocess("on_stop", start("x0", message_def("M")), service("cleanup"), end("x9"),
                         chain("x0", "cleanup", "x9"))))
    main = definitions(process(
        "p", start(), '<bpmn:callActivity id="call" calledElement="child"/>', service("after"), end(),
        chain("start", "call", "after", "end")))
    inst = started(engine, engine.parse({"main.bpmn": main, "child.bpmn": child}, "p"))
    assert steps(inst) == ["work"]
    assert inst.send_message("stop", {})
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    assert steps(inst) == ["cleanup"]
    inst, _ = finish(engine, inst, "cleanup")
    assert steps(inst) == ["after"]


def test_error_after_a_non_interrupting_boundary_is_not_caught_by_the_activity(engine, build):
    """A task on the path of a non-interrupting boundary event is not inside the activity the
    boundary is attached to: the activity's error boundary does not catch its error."""
    model = build(definitions(error("E", "boom"), message("M", "ping"), process(
        "p", start(), user("wait"), end(),
        boundary("pinged", "wait", message_def("M"), interrupting=False), service("answer"), end("a9"),
        boundary("wait_failed", "wait", error_def("E")), end("f9"),
        chain("start", "wait", "end"), chain("pinged", "answer", "a9"), chain("wait_failed", "f9"))))
    inst = started(engine, model)
    inst.send_message("ping", {})
    inst.advance(NOW)
    with pytest.raises(UnhandledBpmnError):
        inst.fail_service(call_for(inst, "answer").task_id, "boom", "x")
    assert [t.step for t in inst.ready_user_tasks()] == ["wait"]
