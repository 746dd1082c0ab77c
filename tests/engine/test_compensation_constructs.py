"""Compensation where it meets the other constructs: multi-instance, sub-processes (completed,
cancelled, with handlers in event sub-processes), transactions; failing handlers; always in
reverse completion order, with a JSON round trip between steps."""
import pytest

from .bpmn_kit import (
    COMPENSATE, boundary, chain, compensate, compensated_by, definitions, end, error, error_def, event,
    event_subprocess, flow, mi, process, service, start, subprocess, user,
)
from .helpers import NOW, call_for, complete_user, finish, only_call, roundtrip

ROLLBACK = event_subprocess("rollback", start("r0", error_def("E")), end("rolled_back", COMPENSATE, "ROLLED_BACK"),
                            chain("r0", "rolled_back"))


def started(engine, model, data=None):
    inst = engine.start(model, dict(data or {}))
    inst.advance(NOW)
    return roundtrip(engine, inst)


def undo_all(engine, inst):
    """Complete compensation handlers one at a time (never two at once); [(step, params)]."""
    done = []
    while any(c.compensates for c in inst.pending_service_calls()):
        call = only_call(inst)
        done.append((call.step, call.params))
        inst, _ = finish(engine, inst, call.step)
    return inst, done


def fail(engine, inst, step, code="boom"):
    inst.fail_service(call_for(inst, step).task_id, code, f"{step} failed")
    inst.advance(NOW)
    return roundtrip(engine, inst)


def charges(sequential=False, handler_params=None):
    return definitions(error("E", "boom"), process(
        "p", start(), service("reserve"), compensated_by("reserve", "release"),
        service("charge", params={"who": "buyer"}, inner=mi("buyers", "buyer", sequential=sequential)),
        compensated_by("charge", "refund", params=handler_params or {"who": "buyer"}),
        service("ship"), end(), chain("start", "reserve", "charge", "ship", "end"), ROLLBACK))


def test_each_completed_instance_is_compensated_newest_first(engine, build, style):
    inst = started(engine, build(charges()), {"buyers": ["ann", "bob", "cid"]})
    inst, _ = finish(engine, inst, "reserve")
    for who in ("bob", "cid", "ann"):
        call = next(c for c in inst.pending_service_calls() if c.params.get("who") == who)
        inst.complete_service(call.task_id, {})
        inst.advance(NOW)
        inst = roundtrip(engine, inst)
    inst = fail(engine, inst, "ship")
    assert only_call(inst).instance == "0"          # ann's refund belongs to ann's instance
    inst, undone = undo_all(engine, inst)
    assert undone == [("refund", {"who": "ann"}), ("refund", {"who": "cid"}), ("refund", {"who": "bob"}),
                      ("release", {})]
    assert inst.is_completed() and inst.status() == "ROLLED_BACK"
    assert inst.step_states()["charge"] == "compensated"


def test_sequential_instances_are_compensated_in_reverse(engine, build):
    inst = started(engine, build(charges(sequential=True)), {"buyers": ["ann", "bob", "cid"]})
    inst, _ = finish(engine, inst, "reserve")
    for _ in range(3):
        inst, _ = finish(engine, inst, "charge")
    inst = fail(engine, inst, "ship")
    inst, undone = undo_all(engine, inst)
    assert [p.get("who") for _, p in undone] == ["cid", "bob", "ann", None]


def test_instances_of_an_interrupted_multi_instance_activity_are_compensated(engine, build):
    """13.5.5: cancelling a scope compensates what it completed. bob's charge failed: the
    instances that completed (ann, cid) are refunded, bob's is not."""
    inst = started(engine, build(charges()), {"buyers": ["ann", "bob", "cid"]})
    inst, _ = finish(engine, inst, "reserve")
    for who in ("ann", "cid"):
        call = next(c for c in inst.pending_service_calls() if c.params.get("who") == who)
        inst.complete_service(call.task_id, {})
        inst.advance(NOW)
    bob = next(c for c in inst.pending_service_calls() if c.params.get("who") == "bob")
    inst.fail_service(bob.task_id, "boom", "card declined")
    inst.advance(NOW)
    inst, undone = undo_all(engine, roundtrip(engine, inst))
    assert undone == [("refund", {"who": "cid"}), ("refund", {"who": "ann"}), ("release", {})]


def test_a_running_multi_instance_activity_is_not_compensated(engine, build):
    """Camunda's testCompensateConcurrentMiActivity: a compensation thrown while the
    multi-instance activity still runs leaves it alone (13.5.5: active activities are not
    compensated)."""
    model = build(definitions(process(
        "p", start(), '<bpmn:parallelGateway id="fork"/>',
        service("charge", params={"who": "buyer"}, inner=mi("buyers", "buyer")), compensated_by("charge", "refund"),
        end("e1"), user("decide"), event("intermediateThrowEvent", "undo", COMPENSATE), end("e2"),
        flow("start", "fork"), flow("fork", "charge"), flow("fork", "decide"), chain("charge", "e1"),
        chain("decide", "undo", "e2"))))
    inst = started(engine, model, {"buyers": ["ann", "bob"]})
    inst, _ = finish(engine, inst, "charge")
    inst = complete_user(engine, inst, "decide")
    assert [c.step for c in inst.pending_service_calls()] == ["charge"]   # no refund
    inst, _ = finish(engine, inst, "charge")
    assert inst.is_completed()


def test_activity_ref_to_a_multi_instance_activity(engine, build):
    """testCompensateActivityRefMiActivity: activityRef names the activity, all its instances
    are compensated."""
    model = build(definitions(process(
        "p", start(), service("charge", params={"who": "buyer"}, inner=mi("buyers", "buyer")),
        compensated_by("charge", "refund", params={"who": "buyer"}), service("other"), compensated_by("other", "undo_other"),
        event("intermediateThrowEvent", "undo", compensate("charge")), end(),
        chain("start", "charge", "other", "undo", "end"))))
    inst = started(engine, model, {"buyers": ["ann", "bob"]})
    for _ in range(2):
        inst, _ = finish(engine, inst, "charge")
    inst, _ = finish(engine, inst, "other")
    inst, undone = undo_all(engine, inst)
    assert sorted(p["who"] for _, p in undone) == ["ann", "bob"] and {s for s, _ in undone} == {"refund"}
    assert inst.is_completed()


def test_multi_instance_subprocess_default_compensation(engine, build, style):
    model = build(definitions(error("E", "boom"), process(
        "p", start(),
        subprocess("per_flat", start("s0"), service("book", params={"flat": "flat"}),
                   compensated_by("book", "unbook", params={"flat": "flat"}), end("s9"), chain("s0", "book", "s9"),
                   loop=mi("flats", "flat", sequential=True)),
        service("ship"), end(), chain("start", "per_flat", "ship", "end"), ROLLBACK)))
    inst = started(engine, model, {"flats": [1, 2, 3]})
    for _ in range(3):
        inst, _ = finish(engine, inst, "book")
    inst = fail(engine, inst, "ship")
    inst, undone = undo_all(engine, inst)
    assert undone == [("unbook", {"flat": 3}), ("unbook", {"flat": 2}), ("unbook", {"flat": 1})]


def test_work_done_inside_a_cancelled_subprocess_is_compensated(engine, build, style):
    """a1 completed inside `sub`, a2 failed: the rollback cancels the sub-process and
    compensates a1 (13.5.5), then s1 (newest first)."""
    model = build(definitions(error("E", "boom"), process(
        "p", start(), service("s1"), compensated_by("s1", "u1"),
        subprocess("sub", start("s0"), service("a1"), compensated_by("a1", "ua1"), service("a2"),
                   compensated_by("a2", "ua2"), end("s9"), chain("s0", "a1", "a2", "s9")),
        end(), chain("start", "s1", "sub", "end"), ROLLBACK)))
    inst = started(engine, model)
    inst, _ = finish(engine, inst, "s1")
    inst, _ = finish(engine, inst, "a1")
    inst = fail(engine, inst, "a2")
    inst, undone = undo_all(engine, inst)
    assert [s for s, _ in undone] == ["ua1", "u1"]
    states = inst.step_states()
    assert states["sub"] == "compensated" and states["a2"] == "cancelled" and inst.status() == "ROLLED_BACK"


def test_throw_in_an_event_subprocess_of_a_subprocess_compensates_that_subprocess(engine, build, style):
    """Camunda's testCompensationTriggeredByEventSubProcessInSubProcessActivityRef: the throw
    inside the sub-process' event sub-process compensates the sub-process' own activities, not
    those outside (outer)."""
    model = build(definitions(error("E", "boom"), process(
        "p", start(), service("outer"), compensated_by("outer", "undo_outer"),
        subprocess("sub", start("s0"), service("book"), compensated_by("book", "unbook"), service("check"),
                   end("s9"), chain("s0", "book", "check", "s9"),
                   event_subprocess("inner_rollback", start("i0", error_def("E")),
                                    event("intermediateThrowEvent", "undo_sub", COMPENSATE), service("notify"),
                                    end("i9"), chain("i0", "undo_sub", "notify", "i9"))),
        service("after"), end(), chain("start", "outer", "sub", "after", "end"))))
    inst = started(engine, model)
    inst, _ = finish(engine, inst, "outer")
    inst, _ = finish(engine, inst, "book")
    inst = fail(engine, inst, "check")
    inst, call = finish(engine, inst, "unbook")
    assert call.compensates == "book"
    assert [c.step for c in inst.pending_service_calls()] == ["notify"]
    inst, _ = finish(engine, inst, "notify")
    inst, _ = finish(engine, inst, "after")
    assert inst.is_completed() and inst.step_states()["outer"] == "completed"


def transaction():
    return definitions(process(
        "p", start(),
        subprocess("booking", start("t0"), service("book"), compensated_by("book", "unbook", params={"seat": "seat"}),
                   service("charge"), compensated_by("charge", "refund"),
                   '<bpmn:exclusiveGateway id="ok" default="fine"/>', end("t9"),
                   end("cancel_it", "<bpmn:cancelEventDefinition/>"),
                   chain("t0", "book", "charge", "ok"), flow("ok", "cancel_it", "declined == True"),
                   flow("ok", "t9", id="fine"), tag="transaction"),
        boundary("cancelled", "booking", "<bpmn:cancelEventDefinition/>"), service("apologise"),
        end("after_cancel", status="CANCELLED"), service("confirm"), end(status="BOOKED"),
        chain("start", "booking", "confirm", "end"), chain("cancelled", "apologise", "after_cancel")))


def test_cancelled_transaction_compensates_then_leaves_by_its_cancel_boundary(engine, build, style):
    inst = started(engine, build(transaction()), {"seat": "12A"})
    inst, _ = finish(engine, inst, "book")
    inst, _ = finish(engine, inst, "charge", {"declined": True})
    inst, undone = undo_all(engine, inst)
    assert undone == [("refund", {}), ("unbook", {"seat": "12A"})]
    assert [c.step for c in inst.pending_service_calls()] == ["apologise"]
    inst, _ = finish(engine, inst, "apologise")
    assert inst.is_completed() and inst.status() == "CANCELLED"
    states = inst.step_states()
    assert states["booking"] == "cancelled" and states["book"] == "compensated" and "confirm" not in states


def test_completed_transaction_goes_on(engine, build):
    inst = started(engine, build(transaction()), {"seat": "1A"})
    inst, _ = finish(engine, inst, "book")
    inst, _ = finish(engine, inst, "charge", {"declined": False})
    inst, _ = finish(engine, inst, "confirm")
    assert inst.status() == "BOOKED"


def test_cancel_end_event_cancels_the_transactions_other_work_first(engine, build):
    model = definitions(process(
        "p", start(),
        subprocess("booking", start("t0"), '<bpmn:parallelGateway id="fork"/>', service("book"),
                   compensated_by("book", "unbook"), service("audit"), end("a9"),
                   end("cancel_it", "<bpmn:cancelEventDefinition/>"),
                   flow("t0", "fork"), flow("fork", "book"), flow("fork", "audit"), chain("book", "cancel_it"),
                   chain("audit", "a9"), tag="transaction"),
        boundary("cancelled", "booking", "<bpmn:cancelEventDefinition/>"), end("after_cancel", status="CANCELLED"),
        end(), chain("start", "booking", "end"), chain("cancelled", "after_cancel")))
    inst = started(engine, build(model))
    inst, _ = finish(engine, inst, "book")
    assert [c.step for c in inst.pending_service_calls()] == ["unbook"]   # audit was cancelled
    assert inst.step_states()["audit"] == "cancelled"
    inst, _ = finish(engine, inst, "unbook")
    assert inst.is_completed() and inst.status() == "CANCELLED"


def test_a_failing_handler_parks_the_cancellation_until_retried(engine, build):
    inst = started(engine, build(transaction()), {"seat": "12A"})
    inst, _ = finish(engine, inst, "book")
    inst, _ = finish(engine, inst, "charge", {"declined": True})
    refund = only_call(inst)
    inst.mark_compensation_failed(refund.task_id)
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    assert inst.pending_service_calls() == [] and not inst.is_completed()
    assert inst.step_states()["charge"] == "compensation_failed"
    inst.retry_service(refund.task_id)
    inst, undone = undo_all(engine, inst)
    assert [s for s, _ in undone] == ["refund", "unbook"]
    assert [c.step for c in inst.pending_service_calls()] == ["apologise"]


def test_a_failing_instance_handler_parks_the_rest(engine, build):
    inst = started(engine, build(charges()), {"buyers": ["ann", "bob"]})
    inst, _ = finish(engine, inst, "reserve")
    for _ in range(2):
        inst, _ = finish(engine, inst, "charge")
    inst = fail(engine, inst, "ship")
    first = only_call(inst)
    inst.fail_service(first.task_id, "refund_refused", "bank says no")   # a handler's error parks it
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    assert inst.pending_service_calls() == []
    assert [c.task_id for c in inst.pending_service_calls(include_failed=True)] == [first.task_id]
    inst.retry_service(first.task_id)
    inst, undone = undo_all(engine, inst)
    assert len(undone) == 3 and undone[-1][0] == "release"
    assert inst.status() == "ROLLED_BACK"


def test_activity_ref_naming_an_activity_that_did_not_complete_does_nothing(engine, build):
    model = build(definitions(process(
        "p", start(), '<bpmn:parallelGateway id="fork"/>', user("slow"), compensated_by("slow", "undo_slow"),
        end("e1"), service("fast"), event("intermediateThrowEvent", "undo", compensate("slow")), service("after"),
        end("e2"), flow("start", "fork"), flow("fork", "slow"), flow("fork", "fast"), chain("slow", "e1"),
        chain("fast", "undo", "after", "e2"))))
    inst = started(engine, model)
    inst, _ = finish(engine, inst, "fast")
    assert [c.step for c in inst.pending_service_calls()] == ["after"]


@pytest.mark.parametrize("handler", ["user", "script"])
def test_handlers_of_other_kinds(engine, build, handler):
    handler_xml = (user("undo_it", attrs='isForCompensation="true"') if handler == "user" else
                   '<bpmn:scriptTask id="undo_it" isForCompensation="true"><bpmn:script>undone = True'
                   '</bpmn:script></bpmn:scriptTask>')
    model = build(definitions(process(
        "p", start(), service("work"), compensated_by("work", "undo_it", handler=handler_xml),
        event("intermediateThrowEvent", "undo", COMPENSATE), service("after"), end(),
        chain("start", "work", "undo", "after", "end"))))
    inst = started(engine, model)
    inst, _ = finish(engine, inst, "work")
    if handler == "user":
        assert [t.step for t in inst.ready_user_tasks()] == ["undo_it"] and inst.pending_service_calls() == []
        inst = complete_user(engine, inst, "undo_it")
    assert [c.step for c in inst.pending_service_calls()] == ["after"]
    assert inst.step_states()["work"] == "compensated"


def test_an_interrupted_multi_instance_subprocess_keeps_its_instances(engine, build, style):
    """An error boundary interrupts a parallel multi-instance sub-process while instances run:
    3.2.0 dropped them from the tree (with their sub-processes); here they are cancelled, and what
    they completed is compensated by the rollback."""
    model = build(definitions(error("E", "boom"), process(
        "p", start(),
        subprocess("per_flat", start("s0"), service("book", params={"flat": "flat"}),
                   compensated_by("book", "unbook", params={"flat": "flat"}), user("confirm"), end("s9"),
                   chain("s0", "book", "confirm", "s9"), loop=mi("flats", "flat")),
        boundary("failed", "per_flat", error_def("E")), end("rolled_back", COMPENSATE, "ROLLED_BACK"),
        end(), chain("start", "per_flat", "end"), chain("failed", "rolled_back"))))
    inst = started(engine, model, {"flats": [1, 2, 3]})
    for flat in (1, 2):
        inst.complete_service(next(c for c in inst.pending_service_calls() if c.params == {"flat": flat}).task_id, {})
        inst.advance(NOW)
    inst = roundtrip(engine, inst)
    inst = fail(engine, inst, "book")                   # flat 3's booking fails
    inst, undone = undo_all(engine, inst)
    assert undone == [("unbook", {"flat": 2}), ("unbook", {"flat": 1})]
    assert inst.ready_user_tasks() == [] and inst.is_completed() and inst.status() == "ROLLED_BACK"
