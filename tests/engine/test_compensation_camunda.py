"""Camunda 7's own compensation test models (fixtures/camunda, adapted: see each file's header),
with the behaviour Camunda's CompensateEventTest asserts. Their user tasks have no form, as in
Camunda: parsed as a simulation parses them (a form is a deployment binding). Where we differ, the test says so."""
import pytest

from .conftest import FIXTURES
from .helpers import NOW, complete_user, roundtrip, user_tasks


@pytest.fixture
def camunda(engine):
    def parse(name, process_id):
        return engine.parse({name: (FIXTURES / "camunda" / name).read_bytes()}, process_id, bindings_required=False)
    return parse


def started(engine, model, data=None):
    inst = engine.start(model, dict(data or {}))
    inst.advance(NOW)
    return roundtrip(engine, inst)


def names(inst):
    return sorted(t.label or t.step for t in inst.ready_user_tasks())


def complete_named(engine, inst, name, data=None):
    task = next(t for t in inst.ready_user_tasks() if (t.label or t.step) == name)
    inst.complete_user_task(task.task_id, data or {})
    inst.advance(NOW)
    return roundtrip(engine, inst), task


def test_mi_subprocess_with_compensation_event_subprocess(engine, camunda):
    """testCompensateMiSubprocessWithCompensationEventSubProcess: each instance of the
    sequential multi-instance sub-process runs its compensation event sub-process, which
    compensates bookFlight, then bookHotel (activityRef), then updates the customer record.
    Camunda runs the two instances' handlers side by side; BPMN 2.0.2 13.5.5 wants a
    sequential multi-instance compensated in reverse order, which is what we do: STS-28's
    handlers first, then STS-14's."""
    model = camunda("mi_subprocess_compensation_event_subprocess.bpmn", "bookingProcess")
    inst = started(engine, model, {"flights": ["STS-14", "STS-28"]})
    for _ in range(2):
        assert names(inst) == ["Book Flight", "Book Hotel"]
        inst, _ = complete_named(engine, inst, "Book Flight")
        inst, _ = complete_named(engine, inst, "Book Hotel")
    inst, _ = complete_named(engine, inst, "Validate Booking", {"valid": False})
    handled = []
    while inst.ready_user_tasks():
        assert len(inst.ready_user_tasks()) == 1          # one handler at a time
        inst, task = complete_named(engine, inst, names(inst)[0])
        handled.append((task.label, task.data["flight"]))
    assert handled == [("Cancel Flight", "STS-28"), ("Cancel Hotel", "STS-28"), ("Update Customer Record", "STS-28"),
                       ("Cancel Flight", "STS-14"), ("Cancel Hotel", "STS-14"), ("Update Customer Record", "STS-14")]
    assert inst.is_completed()
    assert inst.step_states()["booking-subprocess"] == "compensated"


def test_mi_subprocess_valid_booking_ends_without_compensation(engine, camunda):
    model = camunda("mi_subprocess_compensation_event_subprocess.bpmn", "bookingProcess")
    inst = started(engine, model, {"flights": ["STS-14"]})
    inst, _ = complete_named(engine, inst, "Book Hotel")
    inst, _ = complete_named(engine, inst, "Book Flight")
    inst, _ = complete_named(engine, inst, "Validate Booking", {"valid": True})
    assert inst.is_completed() and inst.step_states()["booking-subprocess"] == "completed"


def test_compensation_event_subprocess_consumes_the_compensation(engine, camunda):
    """testCompensationEventSubprocessConsumeCompensationEvent: the outer sub-process'
    compensation event sub-process runs (Cancel Hotel); it throws no compensation, so the inner
    sub-process' handler (Cancel Flight) never runs."""
    inst = started(engine, camunda("consume_compensation_event.bpmn", "compensateProcess"))
    inst, _ = complete_named(engine, inst, "Book Hotel")
    inst, _ = complete_named(engine, inst, "Book Flight")
    inst, _ = complete_named(engine, inst, "throw compensation")
    assert names(inst) == ["Cancel Hotel"]
    inst, _ = complete_named(engine, inst, "Cancel Hotel")
    assert inst.is_completed()
    assert "undoBookFlight" not in inst.step_states()


def test_subprocess_with_a_compensation_boundary_event(engine, camunda):
    """testCompensateSubprocessWithBoundaryEvent (CAM-3628): the sub-process' own handler runs;
    the handler of an activity inside it does not (the handler replaces the default one)."""
    inst = started(engine, camunda("subprocess_with_boundary_handler.bpmn", "compensateProcess"))
    assert list(user_tasks(inst)) == ["undoSubprocess"]
    inst = complete_user(engine, inst, "undoSubprocess")
    assert inst.ready_user_tasks() == []
    assert inst.send_message("go", {})
    inst.advance(NOW)
    assert inst.is_completed()
    states = inst.step_states()
    assert states["subprocess"] == "compensated" and states["innerTask"] == "completed"
    assert "undoInner" not in states


def test_subprocess_as_a_compensation_handler(engine, camunda):
    """testSubprocessCompensationHandler: a sub-process compensates; its user task must be done
    before the throw event lets the flow go on."""
    inst = started(engine, camunda("subprocess_as_compensation_handler.bpmn", "subProcessCompensationHandler"))
    inst = complete_user(engine, inst, "activity")
    assert list(user_tasks(inst)) == ["subProcessTask"]
    inst = complete_user(engine, inst, "subProcessTask")
    assert list(user_tasks(inst)) == ["beforeEnd"]
    inst = complete_user(engine, inst, "beforeEnd")
    assert inst.is_completed() and inst.step_states()["activity"] == "compensated"
