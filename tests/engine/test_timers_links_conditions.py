"""Link events, timer cycles and dates, conditional events, repeating non-interrupting boundaries."""
from datetime import timedelta

from SpiffWorkflow.util.task import TaskState

from .bpmn_kit import (
    boundary, chain, definitions, end, event, event_subprocess, flow, message, message_def, process,
    script, service, start, subprocess, timer_def, user,
)
from .helpers import NOW, call_for, complete_user, finish, roundtrip


def started(engine, model, data=None, now=NOW):
    inst = engine.start(model, dict(data or {}))
    inst.advance(now)
    return roundtrip(engine, inst)


def steps(inst):
    return sorted(c.step for c in inst.pending_service_calls())


def link(tag, id, name):
    return event(tag, id, f'<bpmn:linkEventDefinition name="{name}"/>')


def test_link_events_jump_and_loop(engine, build, style):
    model = build(definitions(process(
        "p", start(), service("work"), '<bpmn:exclusiveGateway id="again" default="done"/>',
        link("intermediateThrowEvent", "go_back", "retry"), link("intermediateCatchEvent", "retry_here", "retry"),
        link("intermediateThrowEvent", "go_end", "finish"), link("intermediateCatchEvent", "finish_here", "finish"),
        end(),
        chain("start", "work", "again"), flow("again", "go_back", "tries < 2"), flow("again", "go_end", id="done"),
        chain("retry_here", "work"), chain("finish_here", "end"))))
    inst = started(engine, model)
    for n in (1, 2):
        inst, _ = finish(engine, inst, "work", {"tries": n})
    assert inst.is_completed()
    assert inst.step_states()["retry_here"] == "completed" and inst.step_states()["finish_here"] == "completed"


CYCLE = definitions(process(
    "p", start(), user("wait"), end(),
    boundary("remind", "wait", timer_def("timeCycle", "R3/PT1H"), interrupting=False), service("reminder"),
    end("r9"), boundary("give_up", "wait", timer_def("timeDuration", "PT10H")), end("gave_up"),
    chain("start", "wait", "end"), chain("remind", "reminder", "r9"), chain("give_up", "gave_up")))


def test_non_interrupting_timer_cycle_fires_each_occurrence(engine, build, style):
    inst = started(engine, build(CYCLE))
    assert inst.next_timer_at() == NOW + timedelta(hours=1)
    for hour in (1, 2, 3):
        inst.advance(NOW + timedelta(hours=hour, minutes=1))
        inst = roundtrip(engine, inst)
        assert len(inst.pending_service_calls()) == hour       # one reminder per occurrence
    assert inst.next_timer_at() == NOW + timedelta(hours=10)   # R3: no fourth reminder
    inst.advance(NOW + timedelta(hours=5))
    assert len(inst.pending_service_calls()) == 3
    assert [t.step for t in inst.ready_user_tasks()] == ["wait"]
    for call in inst.pending_service_calls():
        inst.complete_service(call.task_id, {})
    inst = complete_user(engine, inst, "wait")
    assert inst.is_completed() and inst.step_states()["give_up"] == "cancelled"
    assert inst.next_timer_at() is None


def test_unbounded_cycle_with_a_start_date(engine, build):
    model = build(definitions(process(
        "p", start(), user("wait"), end(),
        boundary("tick", "wait", timer_def("timeCycle", "R/2024-05-02T09:00:00+00:00/P1D"), interrupting=False),
        script("count", "ticks = 1"), end("t9"), chain("start", "wait", "end"), chain("tick", "count", "t9"))))
    inst = started(engine, model)
    assert inst.next_timer_at().isoformat() == "2024-05-02T09:00:00+00:00"
    inst.advance(NOW + timedelta(days=1, hours=1))
    assert inst.next_timer_at().isoformat() == "2024-05-03T09:00:00+00:00"
    inst.advance(NOW + timedelta(days=10))       # missed occurrences all fire, as Camunda's jobs do
    assert inst.next_timer_at().isoformat() == "2024-05-12T09:00:00+00:00"
    ticks = [t for t in inst.wf.get_tasks() if t.task_spec.name == "count" and t.state == TaskState.COMPLETED]
    assert len(ticks) == 10                      # 2 May .. 11 May


def test_interrupting_timer_cycle_fires_once(engine, build):
    model = build(definitions(process(
        "p", start(), user("wait"), end(),
        boundary("late", "wait", timer_def("timeCycle", "R3/PT1H")), end("expired"),
        chain("start", "wait", "end"), chain("late", "expired"))))
    inst = started(engine, model)
    inst.advance(NOW + timedelta(hours=1, seconds=1))
    assert inst.is_completed() and inst.step_states()["expired"] == "completed"


def test_timer_date_and_timer_event_subprocess_in_a_subprocess(engine, build):
    model = build(definitions(process(
        "p", start(),
        subprocess("sub", start("s0"), user("wait"), end("s9"), chain("s0", "wait", "s9"),
                   event_subprocess("deadline", start("d0", timer_def("timeDate", "2024-05-01T18:00:00Z")),
                                    script("mark", "timed_out = True"), end("d9"), chain("d0", "mark", "d9"))),
        service("after"), end(), chain("start", "sub", "after", "end"))))
    inst = started(engine, model)
    assert inst.next_timer_at().isoformat() == "2024-05-01T18:00:00+00:00"
    inst.advance(NOW + timedelta(hours=7))
    inst = roundtrip(engine, inst)
    assert inst.ready_user_tasks() == [] and steps(inst) == ["after"]
    assert inst.step_states()["wait"] == "cancelled"
    # and when the work ends first, the waiting timer handler does not hold the sub-process
    inst = started(engine, model)
    inst = complete_user(engine, inst, "wait")
    assert steps(inst) == ["after"] and inst.next_timer_at() is None


def test_non_interrupting_message_boundary_fires_every_time(engine, build, style):
    model = build(definitions(message("M_ping", "ping"), process(
        "p", start(), user("wait"), end(),
        boundary("pinged", "wait", message_def("M_ping"), interrupting=False), service("answer"), end("a9"),
        chain("start", "wait", "end"), chain("pinged", "answer", "a9"))))
    inst = started(engine, model)
    for n in (1, 2, 3):
        assert inst.send_message("ping", {"n": n})
        inst.advance(NOW)
        inst = roundtrip(engine, inst)
    assert [c.params for c in inst.pending_service_calls()] == [{}, {}, {}]
    assert len(inst.pending_service_calls()) == 3
    inst = complete_user(engine, inst, "wait")
    assert not inst.send_message("ping", {})
    for call in inst.pending_service_calls():
        inst.complete_service(call.task_id, {})
    inst.advance(NOW)
    assert inst.is_completed()


def test_conditional_events_see_data_from_other_branches(engine, build, style):
    model = build(definitions(process(
        "p", start(), '<bpmn:parallelGateway id="fork"/>',
        event("intermediateCatchEvent", "until_approved",
              "<bpmn:conditionalEventDefinition><bpmn:condition>approved == True</bpmn:condition>"
              "</bpmn:conditionalEventDefinition>"),
        service("ship"), end("e1"), user("approve"), end("e2"),
        flow("start", "fork"), flow("fork", "until_approved"), flow("fork", "approve"),
        chain("until_approved", "ship", "e1"), chain("approve", "e2"))))
    inst = started(engine, model, {"approved": False})
    assert steps(inst) == [] and inst.step_states()["until_approved"] == "waiting"
    inst = complete_user(engine, inst, "approve", {"approved": True})
    assert steps(inst) == ["ship"]


def test_interrupting_conditional_boundary(engine, build):
    model = build(definitions(process(
        "p", start(), '<bpmn:parallelGateway id="fork"/>', user("wait"), end("e1"),
        boundary("limit", "wait", "<bpmn:conditionalEventDefinition><bpmn:condition>total &gt; 100"
                                  "</bpmn:condition></bpmn:conditionalEventDefinition>"),
        service("escalate"), end("e2"), service("add"), end("e3"),
        flow("start", "fork"), flow("fork", "wait"), flow("fork", "add"), chain("wait", "e1"),
        chain("limit", "escalate", "e2"), chain("add", "e3"))))
    inst = started(engine, model, {"total": 10})
    assert [t.step for t in inst.ready_user_tasks()] == ["wait"]
    inst, _ = finish(engine, inst, "add", {"total": 500})
    assert inst.ready_user_tasks() == [] and steps(inst) == ["escalate"]
    assert call_for(inst, "escalate")


def test_timer_cycle_on_a_non_interrupting_event_subprocess(engine, build, style):
    model = build(definitions(process(
        "p", start(),
        subprocess("sub", start("s0"), user("wait"), end("s9"), chain("s0", "wait", "s9"),
                   event_subprocess("remind", start("r0", timer_def("timeCycle", "R3/PT10M"), 'isInterrupting="false"'),
                                    service("reminder"), end("r9"), chain("r0", "reminder", "r9"))),
        service("after"), end(), chain("start", "sub", "after", "end"))))
    inst = started(engine, model)
    for minute in (10, 20, 30, 40):
        inst.advance(NOW + timedelta(minutes=minute, seconds=1))
        inst = roundtrip(engine, inst)
    assert steps(inst) == ["reminder"] * 3                   # R3: three occurrences, no fourth
    assert inst.next_timer_at() is None
    for call in inst.pending_service_calls():
        inst.complete_service(call.task_id, {})
    inst = complete_user(engine, inst, "wait")
    assert steps(inst) == ["after"]


def test_waiting_cycle_event_subprocess_does_not_hold_its_scope(engine, build):
    model = build(definitions(process(
        "p", start(),
        subprocess("sub", start("s0"), user("wait"), end("s9"), chain("s0", "wait", "s9"),
                   event_subprocess("remind", start("r0", timer_def("timeCycle", "R/PT10M"), 'isInterrupting="false"'),
                                    script("noted", "reminded = True"), end("r9"), chain("r0", "noted", "r9"))),
        service("after"), end(), chain("start", "sub", "after", "end"))))
    inst = started(engine, model)
    inst.advance(NOW + timedelta(minutes=25))
    assert inst.next_timer_at() == NOW + timedelta(minutes=30)
    inst = complete_user(engine, inst, "wait")
    assert steps(inst) == ["after"] and inst.next_timer_at() is None
