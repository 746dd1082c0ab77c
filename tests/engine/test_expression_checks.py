"""Every kind of expression the engine evaluates is checked with the sandbox at deploy: an unsafe
one is refused at its element, on the line of the expression, before anything runs."""
import pytest

from .bpmn_kit import (
    boundary, chain, definitions, end, escalation, event, event_subprocess, flow, mi, process, script,
    service, start, subprocess, timer_def, user,
)

UNSAFE = "().__class__"         # refused by the sandbox's policy (a dunder attribute)


def ext(tag, text):
    return f"<bpmn:extensionElements><spiffworkflow:{tag}>{text}</spiffworkflow:{tag}></bpmn:extensionElements>"


def around(*parts, before=""):
    """start -> s -> end, plus `parts`, one element per line (so each expression has its line)."""
    return definitions(before, "\n", process("p", "\n", start(), "\n", service("s"), "\n", end(), "\n",
                                             chain("start", "s", "end"), "\n", "\n".join(parts), "\n"))


def through(node_xml, node_id, before=""):
    """start -> <node> -> end; `before`: root elements (messages, signals, ...)."""
    return definitions(before, "\n", process("p", "\n", start(), "\n", node_xml, "\n", end(), "\n",
                                             chain("start", node_id, "end"), "\n"))


MESSAGE = '<bpmn:message id="M" name="m"/>'
CASES = {
    "sequence flow condition": (definitions(process(
        "p", "\n", start(), '<bpmn:exclusiveGateway id="gw" default="other"/>', service("a"), service("b"), end(),
        end("e2"), chain("start", "gw"), "\n", flow("gw", "a", UNSAFE, id="cond"), "\n", flow("gw", "b", id="other"),
        chain("a", "end"), chain("b", "e2"))), "cond", "sequenceFlow"),
    "script": (through(script("calc", f"x = {UNSAFE}"), "calc"), "calc", "scriptTask"),
    "pre-script of a service task": (through(service("pre", inner="").replace(
        "</bpmn:extensionElements>", f"<spiffworkflow:preScript>x = {UNSAFE}</spiffworkflow:preScript>"
        "</bpmn:extensionElements>"), "pre"), "pre", "serviceTask"),
    "post-script of a user task": (through(user("post").replace(
        "</bpmn:extensionElements>", f"<spiffworkflow:postScript>x = {UNSAFE}</spiffworkflow:postScript>"
        "</bpmn:extensionElements>"), "post"), "post", "userTask"),
    "pre-script of a sub-process": (through(subprocess(
        "sub", ext("preScript", f"x = {UNSAFE}"), start("s0"), end("s9"), chain("s0", "s9")), "sub"),
        "sub", "subProcess"),
    "service parameter": (through(service("call", params={"amount": UNSAFE}), "call"), "call", "serviceTask"),
    "timer duration": (around(boundary("late", "s", timer_def("timeDuration", UNSAFE)), end("e_late"),
                              flow("late", "e_late")), "late", "boundaryEvent"),
    "timer date": (through(event("intermediateCatchEvent", "until", timer_def("timeDate", UNSAFE)), "until"),
                   "until", "intermediateCatchEvent"),
    "timer cycle": (around(boundary("tick", "s", timer_def("timeCycle", UNSAFE), interrupting=False),
                           end("e_tick"), flow("tick", "e_tick")), "tick", "boundaryEvent"),
    "conditional boundary event": (around(boundary(
        "when", "s", f"<bpmn:conditionalEventDefinition><bpmn:condition>{UNSAFE}</bpmn:condition>"
                     "</bpmn:conditionalEventDefinition>"), end("e_when"), flow("when", "e_when")),
        "when", "boundaryEvent"),
    "conditional event sub-process start": (around(event_subprocess(
        "es", "\n", start("es0", f"<bpmn:conditionalEventDefinition><bpmn:condition>{UNSAFE}</bpmn:condition>"
                                 "</bpmn:conditionalEventDefinition>"), "\n", end("es9"), chain("es0", "es9"))),
        "es0", "startEvent"),
    "multi-instance cardinality": (through(service("many", inner=mi(cardinality=UNSAFE)), "many"),
                                   "many", "serviceTask"),
    "multi-instance completion condition": (through(service("some", inner=mi(cardinality="3", condition=UNSAFE)),
                                                    "some"), "some", "serviceTask"),
    "message payload on the message": (through(
        event("intermediateThrowEvent", "tell", '<bpmn:messageEventDefinition messageRef="M"/>'), "tell",
        before=f'<bpmn:message id="M" name="m">{ext("messagePayload", UNSAFE)}</bpmn:message>'), "M", "message"),
    "message payload on the event": (through(event(
        "intermediateThrowEvent", "tell", f'<bpmn:messageEventDefinition messageRef="M">'
                                          f'{ext("messagePayload", UNSAFE)}</bpmn:messageEventDefinition>'), "tell",
        before=MESSAGE), "tell", "intermediateThrowEvent"),
    "message correlation": (through(event(
        "intermediateThrowEvent", "tell", '<bpmn:messageEventDefinition messageRef="M"><bpmn:extensionElements>'
        '<spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId>order</spiffworkflow:propertyId>'
        f'<spiffworkflow:expression>{UNSAFE}</spiffworkflow:expression></spiffworkflow:processVariableCorrelation>'
        '</bpmn:extensionElements></bpmn:messageEventDefinition>'), "tell", before=MESSAGE),
        "tell", "intermediateThrowEvent"),
    "message payload of a send task": (through(
        f'<bpmn:sendTask id="send" messageRef="M">{ext("messagePayload", UNSAFE)}</bpmn:sendTask>', "send",
        before=MESSAGE),
        "send", "sendTask"),
    "signal payload": (through(event("intermediateThrowEvent", "say", '<bpmn:signalEventDefinition signalRef="S"/>'),
                               "say", before=f'<bpmn:signal id="S" name="s">{ext("payloadExpression", UNSAFE)}'
                                             '</bpmn:signal>'),
                       "S", "signal"),
    "escalation payload": (through(event("intermediateThrowEvent", "up",
                                         '<bpmn:escalationEventDefinition escalationRef="X"/>'), "up",
                                   before=escalation("X", "late").replace("/>", f">{ext('payloadExpression', UNSAFE)}"
                                                                          "</bpmn:escalation>")), "X", "escalation"),
}


def line_of(text: bytes, fragment: str) -> int:
    return text[:text.index(fragment.encode())].count(b"\n") + 1


@pytest.mark.parametrize("case", CASES)
def test_an_unsafe_expression_is_refused_at_its_element_and_line(engine, case):
    xml, element_id, element_type = CASES[case]
    assert xml.count(UNSAFE.encode()) == 1
    problems = [(p.element_id, p.element_type, p.line, "cannot run" in p.message)
                for p in engine.check({"p.bpmn": xml}, "p").errors]
    assert problems == [(element_id, element_type, line_of(xml, UNSAFE), True)]
    # the same model with a harmless expression in that place is valid
    assert engine.check({"p.bpmn": xml.replace(UNSAFE.encode(), b"1")}, "p").valid


@pytest.mark.parametrize("loop, fragment", [
    (mi(collection="${flats}", item="flat"), "loopDataInputRef '${flats}'"),
    (mi(collection="flats", item="flat.id"), "inputDataItem 'flat.id'"),
    (mi(cardinality="2").replace("</bpmn:multi", "<bpmn:loopDataOutputRef>out put</bpmn:loopDataOutputRef></bpmn:multi"),
     "loopDataOutputRef 'out put'"),
])
def test_a_multi_instance_collection_or_item_names_a_variable(engine, loop, fragment):
    xml = through(service("each", inner=loop), "each")
    [problem] = engine.check({"p.bpmn": xml}, "p").errors
    assert problem.element_id == "each" and fragment in problem.message and "variable" in problem.message
