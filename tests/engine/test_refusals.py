"""Models the standard forbids, refused at the right element. The compensation cases are those of
Camunda 7's CompensationEventParseInvalidProcessTest (its models, rewritten here)."""
import pytest

from app.engine import ModelError
from .bpmn_kit import (
    COMPENSATE, boundary, chain, compensate, compensated_by, definitions, end, error, error_def, event,
    event_subprocess, flow, mi, process, service, start, subprocess, timer_def,
)


def refused(engine, xml, *fragments):
    with pytest.raises(ModelError) as err:
        engine.parse({"p.bpmn": xml}, "p")
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def around(*inner):
    """A valid process around `inner` (a service task s that inner pieces may refer to)."""
    return definitions(error("E", "boom"), process("p", start(), service("s"), end(), chain("start", "s", "end"), *inner))


def sub_with(*inner):
    return around(subprocess("sub", start("s0"), service("t"), end("s9"), chain("s0", "t", "s9"), *inner),
                  flow("s", "sub", id="to_sub"))


# --- compensation (Camunda: CompensationEventParseInvalidProcessTest) ------------------------

def test_handler_with_an_incoming_sequence_flow(engine):
    refused(engine, around(compensated_by("s", "undo"), flow("start", "undo", id="bad")),
            "serviceTask 'undo'", "compensation handler must not have sequence flows")


def test_handler_with_an_outgoing_sequence_flow(engine):
    refused(engine, around(compensated_by("s", "undo"), flow("undo", "end", id="bad")),
            "serviceTask 'undo'", "must not have sequence flows")


def test_subprocess_handler_with_a_sequence_flow(engine):
    handler = subprocess("undo", start("u0"), end("u9"), chain("u0", "u9"), attrs='isForCompensation="true"')
    refused(engine, around(compensated_by("s", "undo", handler=handler), flow("undo", "end", id="bad")),
            "subProcess 'undo'", "must not have sequence flows")


def test_throw_naming_an_activity_that_does_not_exist(engine):
    refused(engine, around(event("intermediateThrowEvent", "undo_it", compensate("ghost"))),
            "intermediateThrowEvent 'undo_it'", "activityRef 'ghost'")


def test_throw_naming_an_activity_in_a_nested_scope(engine):
    refused(engine, sub_with().replace(b"</bpmn:process>",
                                        event("intermediateThrowEvent", "undo_it", compensate("t")).encode()
                                        + b"</bpmn:process>"),
            "intermediateThrowEvent 'undo_it'", "activityRef 't'")


def test_throw_naming_an_activity_in_the_parent_scope(engine):
    refused(engine, sub_with(event("intermediateThrowEvent", "undo_it", compensate("s"))),
            "intermediateThrowEvent 'undo_it'", "activityRef 's'")


def test_compensation_boundary_without_a_handler(engine):
    refused(engine, around(boundary("s_comp", "s", COMPENSATE)), "boundaryEvent 's_comp'", "isForCompensation")


def test_two_compensation_boundary_events_on_one_activity(engine):
    second = (boundary("s_comp2", "s", COMPENSATE) + service("undo2", "undo", attrs='isForCompensation="true"')
              + '<bpmn:association id="a2" sourceRef="s_comp2" targetRef="undo2"/>')
    refused(engine, around(compensated_by("s", "undo"), second), "boundaryEvent 's_comp2'", "more than one")


def test_compensation_boundary_with_an_outgoing_flow(engine):
    refused(engine, around(compensated_by("s", "undo"), flow("s_comp", "end", id="bad")),
            "boundaryEvent 's_comp'", "no outgoing sequence flow")


def test_compensation_boundary_with_activity_ref_or_without_waiting(engine):
    bad = around(boundary("s_comp", "s", compensate("s")), service("undo", "undo", attrs='isForCompensation="true"'),
                 '<bpmn:association id="a" sourceRef="s_comp" targetRef="undo"/>')
    refused(engine, bad, "boundaryEvent 's_comp'", "activityRef")
    bad = around(boundary("s_comp", "s", compensate(wait=False)), service("undo", "undo", attrs='isForCompensation="true"'),
                 '<bpmn:association id="a" sourceRef="s_comp" targetRef="undo"/>')
    refused(engine, bad, "boundaryEvent 's_comp'", "waitForCompletion")


def compensation_es(id="comp_es"):
    return event_subprocess(id, start(f"{id}_0", COMPENSATE), end(f"{id}_9"), chain(f"{id}_0", f"{id}_9"))


def test_compensation_event_subprocess_at_process_level(engine):
    refused(engine, around(compensation_es()), "startEvent 'comp_es_0'", "process level")


def test_two_compensation_event_subprocesses_in_one_scope(engine):
    refused(engine, sub_with(compensation_es("one"), compensation_es("two")), "subProcess 'two'", "more than one")


def test_compensation_event_subprocess_and_boundary_on_one_subprocess(engine):
    refused(engine, sub_with(compensation_es()).replace(b"</bpmn:process>",
                                                         compensated_by("sub", "undo").encode() + b"</bpmn:process>"),
            "boundaryEvent 'sub_comp'", "both")


# --- transactions, links, event sub-processes, gateways ----------------------------------

def test_cancel_end_event_outside_a_transaction(engine):
    refused(engine, around(end("stop", "<bpmn:cancelEventDefinition/>")), "endEvent 'stop'", "transaction")


def test_cancel_boundary_on_a_plain_subprocess(engine):
    refused(engine, sub_with().replace(b"</bpmn:process>", boundary(
        "c", "sub", "<bpmn:cancelEventDefinition/>").encode() + b"</bpmn:process>"),
            "boundaryEvent 'c'", "attached to a transaction")


def test_transaction_with_a_cancel_end_event_needs_a_cancel_boundary(engine):
    xml = around(subprocess("tx", start("t0"), end("stop", "<bpmn:cancelEventDefinition/>"), chain("t0", "stop"),
                            tag="transaction"))
    refused(engine, xml, "transaction 'tx'", "cancel boundary")


def test_link_throw_without_its_catch_and_a_catch_with_an_incoming_flow(engine):
    throw = event("intermediateThrowEvent", "jump", '<bpmn:linkEventDefinition name="L"/>')
    refused(engine, around(throw), "intermediateThrowEvent 'jump'", "exactly one")
    catch = event("intermediateCatchEvent", "land", '<bpmn:linkEventDefinition name="L"/>')
    refused(engine, around(throw, catch, flow("start", "land", id="bad")), "intermediateCatchEvent 'land'",
            "no incoming")


def test_a_loop_through_a_link_needs_a_gateway_that_chooses(engine):
    """SpiffWorkflow 3.2.0 follows a link as a flow when it predicts the path: a loop through one
    without a choice recursed without end when the instance started."""
    link = ('<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateThrowEvent>'
            '<bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateCatchEvent>')
    xml = definitions(process("p", start(), service("work"), link, boundary("late", "work", timer_def("timeDuration", "PT1H")),
                              end(), chain("start", "work", "jump"), chain("land", "work"), flow("late", "end")))
    refused(engine, xml, "serviceTask 'work'", "work → jump → land", "gateway")


def test_event_subprocess_with_a_sequence_flow(engine):
    es = event_subprocess("es", start("es0", error_def("E")), end("es9"), chain("es0", "es9"))
    refused(engine, around(es, flow("s", "es", id="bad")), "subProcess 'es'", "no incoming or outgoing")


def test_non_interrupting_error_start_event(engine):
    es = event_subprocess("es", start("es0", error_def("E"), 'isInterrupting="false"'), end("es9"), chain("es0", "es9"))
    refused(engine, around(es), "startEvent 'es0'", "always interrupts")


def test_event_subprocess_with_a_none_start_event(engine):
    es = event_subprocess("es", start("es0"), end("es9"), chain("es0", "es9"))
    refused(engine, around(es), "startEvent 'es0'", "none event definition")


def test_non_interrupting_error_boundary_event(engine):
    refused(engine, around(boundary("b", "s", error_def("E"), interrupting=False)), "boundaryEvent 'b'",
            "always interrupts")


def test_event_based_gateway_leading_to_a_task(engine):
    xml = definitions(process("p", start(), '<bpmn:eventBasedGateway id="gw"/>', service("s"), end(),
                              flow("start", "gw"), flow("gw", "s"), flow("s", "end")))
    refused(engine, xml, "eventBasedGateway 'gw'", "serviceTask 's'")
    cond = event("intermediateCatchEvent", "c", "<bpmn:conditionalEventDefinition><bpmn:condition>x</bpmn:condition>"
                                                "</bpmn:conditionalEventDefinition>")
    xml = definitions(process("p", start(), '<bpmn:eventBasedGateway id="gw"/>', cond, end(),
                              flow("start", "gw"), flow("gw", "c"), flow("c", "end")))
    refused(engine, xml, "eventBasedGateway 'gw'", "intermediateCatchEvent 'c'")


def test_timer_cycle_where_it_has_no_meaning(engine):
    catch = event("intermediateCatchEvent", "wait", timer_def("timeCycle", "R3/PT1H"))
    refused(engine, around(catch), "intermediateCatchEvent 'wait'", "timeCycle")


# --- multi-instance -------------------------------------------------------------------------

def mi_task(loop):
    return definitions(process("p", start(), service("s", inner=loop), end(), chain("start", "s", "end")))


def test_camunda_collection_is_not_read(engine):
    loop = ('<bpmn:multiInstanceLoopCharacteristics xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
            'camunda:collection="${items}" camunda:elementVariable="item"/>')
    refused(engine, mi_task(loop), "serviceTask 's'", "loopDataInputRef", "collection")


def test_cardinality_and_collection_together(engine):
    refused(engine, mi_task(mi("items", "item", cardinality="3")), "serviceTask 's'", "exactly one")


def test_multi_instance_expressions_are_checked(engine):
    refused(engine, mi_task(mi(cardinality="__import__('os')")), "serviceTask 's'", "loopCardinality")
    refused(engine, mi_task(mi("items", "item", condition="x ===")), "serviceTask 's'", "completionCondition")


def test_multi_instance_compensation_handler(engine):
    handler = service("undo", "undo", attrs='isForCompensation="true"', inner=mi(cardinality="2"))
    refused(engine, around(compensated_by("s", "undo", handler=handler)), "serviceTask 'undo'", "multi-instance")
