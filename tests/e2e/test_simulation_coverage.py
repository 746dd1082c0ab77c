"""Issue 16, "Done when": models written by other tools run through POST /api/v1/simulations with
the behaviour their authors' engines assert, and models the standard forbids are refused at their
element by POST /api/v1/models/validate.

The models: hand-written ones without connector ids or diagram (tests/engine/fixtures/handwritten,
written as Camunda's and Flowable's test resources are), each also as bpmn-js exports it (DI,
<incoming>/<outgoing>, every id present); Camunda 7's and Flowable's own test models
(tests/engine/fixtures/camunda, .../flowable: what their tests assert is cited per row). None of
them names a handler: the simulation runs their service tasks on scripted outcomes.
"""
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from app.api.model_schemas import SimulationSchema, ValidationSchema
from app.engine.bpmn_files import synthesise_ids
from tests.engine.bpmn_kit import modeler_export

FIXTURES = Path(__file__).resolve().parents[1] / "engine" / "fixtures"


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


def bpmnjs_export(xml: str) -> str:
    """The same model as bpmn-js writes it: every id present, incoming/outgoing, a diagram."""
    root = etree.fromstring(xml.encode())
    synthesise_ids(root)
    return modeler_export(etree.tostring(root)).decode()


STYLES = {"hand-written": lambda xml: xml, "bpmn-js export": bpmnjs_export}


def simulate(api, name, transform=lambda xml: xml, **scenario):
    response = api.post("/api/v1/simulations", who="analyst",
                        json={"files": {Path(name).name: transform(text(name))}, **scenario})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert SimulationSchema().validate(result) == {}
    assert not [p for p in result["problems"] if p["severity"] == "error"], result["problems"]
    return result


def check(result, expected):
    """`expected`: exact values for status, end_events, compensations; `compensated` the same
    as a multiset (order not asserted); `counts` and `data` subsets; `absent` elements that
    never completed; `events` element -> its trace events; `waiting` element ids among those."""
    for key in ("status", "end_events", "compensations"):
        if key in expected:
            assert result[key] == expected[key], (key, result[key])
    if "compensated" in expected:
        assert Counter(result["compensations"]) == expected["compensated"]
    assert {k: result["counts"].get(k) for k in expected.get("counts", {})} == expected.get("counts", {})
    assert {k: result["data"].get(k) for k in expected.get("data", {})} == expected.get("data", {})
    assert [e for e in expected.get("absent", ()) if e in result["counts"]] == []
    for element, events in expected.get("events", {}).items():
        assert [t["event"] for t in result["trace"] if t["element_id"] == element] == events, element
    assert set(expected.get("waiting", ())) <= {w["element_id"] for w in result["waiting"]}


FLATS = {"flats": ["A", "B", "C"]}

# hand-written models: (file, scenario, expected)
HANDWRITTEN = {
    # multi-instance tasks: every instance is compensated, newest first, the later activity first
    "MI tasks, whole scope": ("mi_booking.bpmn", {"data": FLATS, "outcomes": {"pay": ["error:declined"]}}, {
        "status": "completed", "end_events": ["undone"], "counts": {"book": 3, "notify": 2},
        "compensations": ["unnotify", "unnotify", "unbook", "unbook", "unbook"]}),
    "MI tasks, one activityRef": ("mi_booking.bpmn", {"data": FLATS, "outcomes": {"pay": ["error:partial"]}}, {
        "end_events": ["bookings_undone"], "compensations": ["unbook"] * 3, "absent": ["unnotify"]}),
    "MI tasks, a handler fails": ("mi_booking.bpmn", {"data": FLATS, "outcomes": {
        "pay": ["error:declined"], "unbook": ["ok", "fail"]}}, {
        "status": "incident", "compensations": ["unnotify", "unnotify", "unbook"],
        "events": {"unbook": ["completed", "failed", "incident"]}, "waiting": ["unbook", "undone"]}),
    "MI tasks, paid": ("mi_booking.bpmn", {"data": FLATS}, {
        "status": "completed", "end_events": ["paid"], "compensations": [], "counts": {"book": 3, "notify": 2}}),
    # completed sub-processes without handlers of their own: their activities, innermost last
    "nested sub-processes, whole scope": ("nested_booking.bpmn", {"outcomes": {"pay": ["error:failed"]}}, {
        "end_events": ["flight_end", "booking_end", "rolled_back"],
        "compensations": ["cancel_car", "cancel_hotel", "cancel_seat"]}),
    "nested sub-processes, activityRef of the completed one": (
        "nested_booking.bpmn", {"outcomes": {"pay": ["error:refused"]}}, {
            "end_events": ["flight_end", "booking_end", "booking_undone"],
            "compensations": ["cancel_hotel", "cancel_seat"], "absent": ["cancel_car"]}),
    # a transaction's cancel end event: compensation, then its cancel boundary event
    "transaction cancelled": ("transaction.bpmn", {"data": {"approved": False}}, {
        "status": "completed", "end_events": ["tx_cancel", "cancelled"], "compensations": ["refund", "release"],
        "events": {"tx": ["cancelled"]}, "counts": {"tell_buyer": 1}, "absent": ["bought"]}),
    "transaction cancelled, a handler fails": ("transaction.bpmn", {
        "data": {"approved": False}, "outcomes": {"release": ["fail"]}}, {
        "status": "incident", "compensations": ["refund"], "waiting": ["release"], "absent": ["tell_buyer"]}),
    "transaction completed": ("transaction.bpmn", {"data": {"approved": True}}, {
        "end_events": ["tx_done", "bought"], "compensations": []}),
    # an event sub-process compensates the scope it belongs to; its own error goes up a level
    "event sub-process compensates its sub-process": (
        "event_subprocess_compensation.bpmn", {"outcomes": {"c": ["error:boom"]}}, {
            "status": "completed", "end_events": ["boom_end", "end"], "compensations": ["undo_b", "undo_a"],
            "counts": {"on_boom": 1, "after": 1}}),
    "an error rethrown by an event sub-process goes up": (
        "event_subprocess_compensation.bpmn", {"outcomes": {"c": ["error:fatal"]}}, {
            "end_events": ["rethrow", "gave_up"], "counts": {"on_fatal": 1, "clean_up": 1},
            "absent": ["after"], "compensations": []}),
    # inclusive gateway, link, event-based gateway with a receive task, signal boundary event
    "receive task gets the scripted payment": ("payment_wait.bpmn", {
        "data": {"amount": 500}, "user_tasks": {"receive_payment": [{"sum": 500}]}}, {
        "end_events": ["paid", "end"], "data": {"payment": {"sum": 500}}, "counts": {"check_limit": 1},
        "absent": ["check_fraud", "invoice", "three_days"]}),
    "the timer wins when the payment comes later": ("payment_wait.bpmn", {
        "data": {"amount": 50}, "messages": [{"name": "payment", "after": "three_days"}]}, {
        "end_events": ["expired", "end"], "counts": {"invoice": 1}, "absent": ["receive_payment"]}),
    "a signal stops the wait": ("payment_wait.bpmn", {
        "data": {"amount": 5000}, "signals": [{"name": "stop", "after": "wait_here"}]}, {
        "end_events": ["stopped_end"], "counts": {"check_limit": 1, "check_fraud": 1},
        "events": {"waiting": ["cancelled"]}}),
}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("case", HANDWRITTEN)
def test_hand_written_models_and_their_bpmn_js_exports(api, case, style):
    name, scenario, expected = HANDWRITTEN[case]
    result = simulate(api, f"handwritten/{name}", STYLES[style], **scenario)
    check(result, expected)
    synthesised = [p for p in result["problems"] if "had no id" in p["message"]]
    assert bool(synthesised) == (style == "hand-written")


STS = {"flights": ["STS-14", "STS-28"]}

# Camunda 7's and Flowable's own test models: (file, process, scenario, expected)
OTHER_ENGINES = {
    # CompensateEventTest.testCompensateMiSubprocessWithCompensationEventSubProcess: each instance's
    # compensation event sub-process runs (newest instance first: 13.5.5), compensating the flight,
    # then the hotel, then updating the customer record
    "Camunda: MI sub-process with compensation event sub-process": (
        "camunda/mi_subprocess_compensation_event_subprocess.bpmn",
        {"data": STS, "user_tasks": {"validateBooking": [{"valid": False}]}}, {
            "compensations": ["cancelFlight", "cancelHotel", "compensationSubProcess"] * 2,
            "counts": {"bookFlight": 2, "updateCustomerRecord": 2, "booking-subprocess": 2}}),
    "Camunda: MI sub-process, valid booking": (
        "camunda/mi_subprocess_compensation_event_subprocess.bpmn",
        {"data": STS, "user_tasks": {"validateBooking": [{"valid": True}]}}, {
            "compensations": [], "absent": ["compensationSubProcess"], "counts": {"booking-subprocess": 2}}),
    # testCompensationEventSubprocessConsumeCompensationEvent: the outer scope's compensation event
    # sub-process runs and throws nothing, so the inner scope's handler does not run
    "Camunda: compensation event sub-process consumes the compensation": (
        "camunda/consume_compensation_event.bpmn", {}, {
            "compensations": ["compensationScopeHotel"], "counts": {"undoBookHotel": 1}, "absent": ["undoBookFlight"]}),
    # testCompensateSubprocessWithBoundaryEvent (CAM-3628): the sub-process' own handler only
    "Camunda: sub-process with its own handler": ("camunda/subprocess_with_boundary_handler.bpmn", {}, {
        "status": "completed", "compensations": ["undoSubprocess"], "absent": ["undoInner"]}),
    # testSubprocessCompensationHandler: a sub-process is the handler
    "Camunda: sub-process as the handler": ("camunda/subprocess_as_compensation_handler.bpmn", {}, {
        "compensations": ["compensationHandler"], "counts": {"subProcessTask": 1, "beforeEnd": 1}}),
    # TransactionSubProcessTest.testNestedCancelInner: the inner transaction's five hotel bookings
    # and its flight are undone, not the outer flight; the outer transaction goes on
    "Flowable: nested transaction, inner cancelled": (
        "flowable/nested_cancel_inner.bpmn", {"user_tasks": {"innerTxaskCustomer": [{"confirmed": False}]}}, {
            "compensated": {"innerTxundoBookHotel": 5, "innerTxundoBookFlight": 1},
            "absent": ["undoBookFlight"], "counts": {"outerEndInnerCancel": 1, "end": 1}}),
    # testNestedCancelOuter: Flowable undoes the outer flight only; we also undo what the inner
    # transaction completed (docs/bpmn-coverage.md, Compensation), after the outer flight
    "Flowable: nested transaction, outer cancelled": ("flowable/nested_cancel_outer.bpmn", {}, {
        "compensations": ["undoBookFlight", *["innerTxundoBookHotel"] * 5, "innerTxundoBookFlight"],
        "events": {"innerTx": ["cancelled"]}}),
    # testMultiInstanceTx: one instance cancelled cancels all five and compensates them all
    "Flowable: multi-instance transaction, one cancelled": (
        "flowable/multi_instance_transaction.bpmn", {"user_tasks": {"askCustomer": [{"confirmed": False}]}}, {
            "compensated": {"undoBookHotel": 5, "undoBookFlight": 5}, "end_events": ["failure", "end"],
            "counts": {"bookHotel": 5, "askCustomer": 1}}),
    "Flowable: multi-instance transaction, all confirmed": (
        "flowable/multi_instance_transaction.bpmn", {"user_tasks": {"askCustomer": [{"confirmed": True}] * 5}}, {
            "compensations": [], "counts": {"tx": 5, "askCustomer": 5, "afterSuccess": 1}}),
}


@pytest.mark.parametrize("case", OTHER_ENGINES)
def test_camunda_and_flowable_models(api, case):
    name, scenario, expected = OTHER_ENGINES[case]
    check(simulate(api, name, **scenario), {"status": "completed", **expected})


# --- refused where the standard forbids it --------------------------------------------------

def insert(name: str, after: str, addition: str) -> tuple[str, str]:
    """(the model, the model with `addition` after `after`)."""
    xml = text(name)
    assert after in xml
    return name, xml.replace(after, after + "\n    " + addition, 1)


def replace(name: str, old: str, new: str) -> tuple[str, str]:
    xml = text(name)
    assert old in xml
    return name, xml.replace(old, new, 1)


MI, NESTED, TX, ES = ("handwritten/mi_booking.bpmn", "handwritten/nested_booking.bpmn",
                      "handwritten/transaction.bpmn", "handwritten/event_subprocess_compensation.bpmn")
REFUSED = {
    # Camunda 7: CompensationEventParseInvalidProcessTest; BPMN 2.0.2 10.7, 10.3, 10.5
    "a compensation handler with an incoming flow": (
        insert(TX, '<exclusiveGateway id="approved_gw" default="to_done"/>',
               '<sequenceFlow sourceRef="approved_gw" targetRef="refund"/>'),
        "refund", "serviceTask", "must not have sequence flows"),
    "a throw naming a non-existent activity": (
        replace(MI, 'activityRef="book"', 'activityRef="ghost"'), "undo_bookings", "intermediateThrowEvent", "activityRef"),
    "a throw naming an activity of a nested scope": (
        replace(NESTED, 'activityRef="booking"', 'activityRef="hotel"'), "undo_booking", "intermediateThrowEvent",
        "activityRef"),
    "a compensation boundary event without its handler": (
        replace(NESTED, '<serviceTask id="cancel_car" isForCompensation="true"/>\n    <association '
                        'sourceRef="car_compensation" targetRef="cancel_car"/>', ""),
        "car_compensation", "boundaryEvent", "association"),
    "a second compensation boundary event on one activity": (
        insert(NESTED, '<association sourceRef="car_compensation" targetRef="cancel_car"/>',
               '<boundaryEvent id="car_again" attachedToRef="car"><compensateEventDefinition/></boundaryEvent>'
               '<serviceTask id="cancel_car_again" isForCompensation="true"/>'
               '<association sourceRef="car_again" targetRef="cancel_car_again"/>'),
        "car_again", "boundaryEvent", "more than one compensation boundary event"),
    "a compensation event sub-process at process level": (
        insert(NESTED, '<endEvent id="booking_undone"/>',
               '<subProcess id="undo_all" triggeredByEvent="true"><startEvent id="undo_all_start">'
               '<compensateEventDefinition/></startEvent><sequenceFlow sourceRef="undo_all_start" '
               'targetRef="undo_all_end"/><endEvent id="undo_all_end"/></subProcess>'),
        "undo_all_start", "startEvent", "process level"),
    "a compensation handler that is multi-instance": (
        replace(MI, '<serviceTask id="unbook" name="Release the flat" isForCompensation="true"/>',
                '<serviceTask id="unbook" isForCompensation="true"><multiInstanceLoopCharacteristics>'
                '<loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics></serviceTask>'),
        "unbook", "serviceTask", "cannot be multi-instance"),
    # transactions (10.3.3)
    "a cancel end event outside a transaction": (
        replace(NESTED, '<endEvent id="booking_undone"/>', '<endEvent id="booking_undone"><cancelEventDefinition/></endEvent>'),
        "booking_undone", "endEvent", "inside a transaction"),
    "a cancel boundary event on a plain sub-process": (
        insert(NESTED, '<endEvent id="booking_undone"/>',
               '<boundaryEvent id="booking_cancelled" attachedToRef="booking"><cancelEventDefinition/></boundaryEvent>'
               '<sequenceFlow sourceRef="booking_cancelled" targetRef="booking_undone"/>'),
        "booking_cancelled", "boundaryEvent", "attached to a transaction"),
    # multi-instance (10.3.7), event sub-processes (10.3.5), gateways and links (10.5, 10.6)
    "a multi-instance activity with a cardinality and a collection": (
        replace(MI, "<loopCardinality>2</loopCardinality>",
                "<loopCardinality>2</loopCardinality><loopDataInputRef>flats</loopDataInputRef>"),
        "notify", "serviceTask", "exactly one of", "<multiInstanceLoopCharacteristics isSequential"),
    "an event sub-process with an outgoing flow": (
        insert(ES, '<sequenceFlow sourceRef="c" targetRef="work_end"/>',
               '<sequenceFlow sourceRef="on_boom" targetRef="work_end"/>'),
        "on_boom", "subProcess", "must not have sequence flows"),
    "an event-based gateway leading to a task": (
        replace("handwritten/payment_wait.bpmn", '<sequenceFlow sourceRef="which" targetRef="three_days"/>',
                '<sequenceFlow sourceRef="which" targetRef="three_days"/><sequenceFlow sourceRef="which" '
                'targetRef="remind"/><serviceTask id="remind"/><sequenceFlow sourceRef="remind" targetRef="expired"/>'),
        "which", "eventBasedGateway", "serviceTask 'remind'", 'sourceRef="which" targetRef="remind"'),
    "a link without its catch event": (
        replace("handwritten/payment_wait.bpmn", '<linkEventDefinition name="wait"/></intermediateThrowEvent>',
                '<linkEventDefinition name="wiat"/></intermediateThrowEvent>'),
        "go_wait", "intermediateThrowEvent", "link 'wiat'"),
}


BINDING = "a service task needs a handler"       # a deployment's; a simulation's warning


def errors(api, xml):
    response = api.post("/api/v1/models/validate", who="analyst", json={"files": {"m.bpmn": xml}})
    body = response.get_json()
    assert response.status_code == 200 and ValidationSchema().validate(body) == {}
    return [p for p in body["problems"] if p["severity"] == "error"]


@pytest.mark.parametrize("case", REFUSED)
def test_what_the_standard_forbids_is_refused_at_its_element(api, case):
    """The change adds exactly one error, at the element it names, on its line (or on the line of
    the part at fault). The models name no handlers, so a deployment refuses their service tasks
    too: those errors are left aside (a simulation only warns about them)."""
    (name, xml), element_id, element_type, fragment, *at = REFUSED[case]
    assert all(BINDING in p["message"] for p in errors(api, text(name)))
    added = [p for p in errors(api, xml) if BINDING not in p["message"]]
    assert [(p["element_id"], p["element_type"], fragment in p["message"]) for p in added] == \
        [(element_id, element_type, True)], added
    line = xml[:xml.index(at[0] if at else f'id="{element_id}"')].count("\n") + 1
    assert added[0]["line"] == line and added[0]["file"] == "m.bpmn"
    # a simulation of it answers 422 with that problem as its only error
    refused = api.post("/api/v1/simulations", who="analyst", json={"files": {"m.bpmn": xml}})
    assert refused.status_code == 422
    assert [p for p in refused.get_json()["problems"] if p["severity"] == "error"] == added
