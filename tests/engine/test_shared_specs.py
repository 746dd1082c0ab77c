"""Specs are cached and shared by every instance: running any construct must leave them as parsed."""
from datetime import timedelta

from .bpmn_kit import (
    COMPENSATE, boundary, chain, compensated_by, definitions, end, error, error_def, event_subprocess, flow,
    message, message_def, mi, process, service, signal, signal_def, start, subprocess, timer_def, user,
)
from .helpers import NOW, roundtrip

MODEL = definitions(
    error("E", "boom"), message("M", "note"), signal("S", "go"),
    process(
        "p", start(),
        subprocess("sub", start("s0"), service("a", params={"x": "x"}, inner=mi("xs", "x")),
                   compensated_by("a", "undo_a"), user("wait"), end("s9"), chain("s0", "a", "wait", "s9"),
                   event_subprocess("noted", start("n0", message_def("M"), 'isInterrupting="false"'), end("n9"),
                                    chain("n0", "n9")),
                   event_subprocess("late", start("l0", timer_def("timeDuration", "PT1H")), end("l9"),
                                    chain("l0", "l9"))),
        boundary("tick", "sub", timer_def("timeCycle", "R2/PT10M"), interrupting=False), end("t9"),
        boundary("go", "sub", signal_def("S"), interrupting=False), end("g9"),
        subprocess("tx", start("x0"), service("b"), compensated_by("b", "undo_b"),
                   end("x9", "<bpmn:cancelEventDefinition/>"), chain("x0", "b", "x9"), tag="transaction"),
        boundary("tx_cancelled", "tx", "<bpmn:cancelEventDefinition/>"), service("fail_me"),
        end(), chain("start", "sub", "tx"), chain("tick", "t9"), chain("go", "g9"),
        flow("tx_cancelled", "fail_me"), chain("fail_me", "end"),
        event_subprocess("rollback", start("r0", error_def("E")), end("r9", COMPENSATE), chain("r0", "r9"))))


def snapshot(engine, model):
    return engine.registry.convert(model.spec), {n: engine.registry.convert(s) for n, s in model.subprocess_specs.items()}


def test_running_every_construct_leaves_the_shared_spec_alone(engine):
    model = engine.parse({"p.bpmn": MODEL}, "p")
    before = snapshot(engine, model)
    inst = engine.start(model, {"xs": [1, 2]})
    inst.advance(NOW)
    for call in inst.pending_service_calls():
        inst.complete_service(call.task_id, {})
    inst.send_message("note", {})
    inst.send_signal("go")
    inst.advance(NOW + timedelta(minutes=25))
    inst = roundtrip(engine, inst)
    [wait] = inst.ready_user_tasks()
    inst.complete_user_task(wait.task_id, {})
    inst.advance(NOW + timedelta(minutes=26))
    while calls := inst.pending_service_calls():
        if calls[0].step == "fail_me":
            inst.fail_service(calls[0].task_id, "boom", "x")
        else:
            inst.complete_service(calls[0].task_id, {})
        inst.advance(NOW + timedelta(minutes=27))
        inst = roundtrip(engine, inst)
    assert inst.is_completed()
    assert inst.step_states()["a"] == "compensated"
    assert snapshot(engine, model) == before
    fresh = engine.start(model, {"xs": [3]})
    fresh.advance(NOW)
    assert [c.params for c in fresh.pending_service_calls()] == [{"x": 3}]
