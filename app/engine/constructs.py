"""Structural rules of the constructs the engine runs, as BPMN 2.0.2 states them (and Camunda 7's
parser enforces them). Each rule yields (element, message) for every problem it finds, so the
deploy-time validation can report them all at once.

`check(node, container, kind)` runs the rules that apply to one flow element of a container
(a process, a sub-process or transaction, an event sub-process).
"""
from lxml import etree

from .bpmn_xml import (
    ACTIVITIES, BPMN, NS, SUBPROCESSES, TIMER_CYCLE_ALLOWED, event_kinds, local,
)
from .script_env import check_source

EVENT_GATEWAY_TARGETS = {"intermediateCatchEvent", "receiveTask"}
EVENT_GATEWAY_KINDS = {"message", "timer", "signal"}    # 3.2.0's gateway never sees a condition hold


def check(node, container, kind):
    name = local(node)
    if name == "boundaryEvent":
        yield from _boundary(node, container)
    elif name == "startEvent":
        yield from _start(node, container, kind)
    elif name == "endEvent" and "cancel" in event_kinds(node):
        if local(container) != "transaction":
            yield node, "a cancel end event must be inside a transaction"
    elif name == "intermediateThrowEvent" and "link" in event_kinds(node):
        yield from _link_throw(node, container)
    elif name == "intermediateCatchEvent" and "link" in event_kinds(node):
        yield from _link_catch(node, container)
    elif name == "eventBasedGateway":
        yield from _event_gateway(node, container)
    if name in SUBPROCESSES and node.get("triggeredByEvent") == "true":
        yield from _event_subprocess(node, container, kind)
    elif name in SUBPROCESSES and node.get("isForCompensation") == "true":
        if _flows(container, "sourceRef", node.get("id")) or _flows(container, "targetRef", node.get("id")):
            yield node, "a compensation handler must not have sequence flows"
    elif name == "transaction":
        yield from _transaction(node, container)
    if name in ACTIVITIES:
        yield from _multi_instance(node)
    if name in ("sendTask", "receiveTask"):
        yield from _message_task(node)
    yield from _references(node)
    yield from _timer_cycle(node, kind)
    yield from _conditions(node)


# --- helpers --------------------------------------------------------------------------------

def _children(container, name):
    return container.iterchildren(f"{{{BPMN}}}{name}")


def _flows(container, ref, node_id):
    return [f for f in _children(container, "sequenceFlow") if f.get(ref) == node_id]


def _expression(node, text, what):
    try:
        check_source(text, "eval")
    except (SyntaxError, ValueError) as exc:
        yield node, f"{what} {text!r} is not a valid expression: {exc}"


# --- boundary events, compensation --------------------------------------------------------

def _boundary(node, container):
    kinds = event_kinds(node)
    target = next((a for a in container if a.get("id") == node.get("attachedToRef")), None)
    if "cancel" in kinds and (target is None or local(target) != "transaction"):
        yield node, "a cancel boundary event must be attached to a transaction"
    if ("error" in kinds or "cancel" in kinds) and node.get("cancelActivity") == "false":
        yield node, "an error or cancel boundary event always interrupts (cancelActivity=\"false\" is not allowed)"
    if "compensate" not in kinds:
        return
    definition = node.find("bpmn:compensateEventDefinition", NS)
    if definition.get("activityRef"):
        yield node, "a compensation boundary event cannot name an activityRef (its activity is the one it is attached to)"
    if definition.get("waitForCompletion", "true").lower() == "false":
        yield node, "waitForCompletion=\"false\" has no meaning on a compensation boundary event"
    if _flows(container, "sourceRef", node.get("id")):
        yield node, "a compensation boundary event has no outgoing sequence flow: associate it with its handler"
    others = [b for b in _children(container, "boundaryEvent") if b is not node
              and b.get("attachedToRef") == node.get("attachedToRef") and "compensate" in event_kinds(b)]
    if others and list(container).index(node) > list(container).index(others[0]):
        yield node, f"activity '{node.get('attachedToRef')}' has more than one compensation boundary event"
    if target is not None and _compensation_subprocesses(target):
        yield node, f"sub-process '{target.get('id')}' has both a compensation boundary event and a " \
                    "compensation event sub-process: keep one"


def _compensation_subprocesses(node):
    return [es for es in node if isinstance(es.tag, str) and local(es) == "subProcess"
            and es.get("triggeredByEvent") == "true"
            and any("compensate" in event_kinds(s) for s in _children(es, "startEvent"))]


# --- start events, event sub-processes ------------------------------------------------------

def _start(node, container, kind):
    kinds = event_kinds(node)
    if kind != "event_subprocess":
        return
    if "compensate" in kinds:
        scope = container.getparent()
        if local(scope) == "process":
            yield node, "a compensation event sub-process cannot be at process level (BPMN 2.0.2): " \
                        "put it in the sub-process it compensates"
        if node.find("bpmn:compensateEventDefinition", NS).get("activityRef"):
            yield node, "a compensation start event cannot name an activityRef"
    if "error" in kinds and node.get("isInterrupting") == "false":
        yield node, "an error start event always interrupts (isInterrupting=\"false\" is not allowed)"


def _event_subprocess(node, container, kind):
    node_id = node.get("id")
    if _flows(container, "sourceRef", node_id) or _flows(container, "targetRef", node_id):
        yield node, "an event sub-process has no incoming or outgoing sequence flows"
    if node.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None:
        yield node, "an event sub-process cannot be multi-instance"
    compensating = _compensation_subprocesses(container)
    if node in compensating[1:]:
        yield node, f"'{container.get('id')}' has more than one compensation event sub-process"


def _transaction(node, container):
    cancels = [e for e in node.iter(f"{{{BPMN}}}endEvent") if "cancel" in event_kinds(e)
               and e.getparent() is node]
    boundaries = [b for b in _children(container, "boundaryEvent")
                  if b.get("attachedToRef") == node.get("id") and "cancel" in event_kinds(b)]
    if cancels and not boundaries:
        yield node, "a transaction with a cancel end event needs a cancel boundary event to leave by"


# --- links ----------------------------------------------------------------------------------

def _link_name(node):
    return node.find("bpmn:linkEventDefinition", NS).get("name")


def _links(container, name):
    return [c for c in _children(container, "intermediateCatchEvent")
            if "link" in event_kinds(c) and _link_name(c) == name]


def _link_throw(node, container):
    name = _link_name(node)
    if not name:
        yield node, "a link event needs a name"
    elif len(_links(container, name)) != 1:
        yield node, f"link '{name}' needs exactly one link catch event of that name in the same scope, " \
                    f"found {len(_links(container, name))}"
    if _flows(container, "sourceRef", node.get("id")):
        yield node, "a link throw event has no outgoing sequence flow"


def _link_catch(node, container):
    if not _link_name(node):
        yield node, "a link event needs a name"
    if _flows(container, "targetRef", node.get("id")):
        yield node, "a link catch event has no incoming sequence flow"


# --- references to root elements ----------------------------------------------------------

def _root_element(node, kind, ref):
    found = node.getroottree().getroot().find(f"bpmn:{kind}[@id='{ref}']", NS) if ref else None
    return found


def _references(node):
    throws = local(node) in ("endEvent", "intermediateThrowEvent")
    for definition in node.findall("bpmn:signalEventDefinition", NS):
        signal = _root_element(node, "signal", definition.get("signalRef"))
        if signal is None or not signal.get("name"):
            yield node, f"signalRef {definition.get('signalRef')!r} must name a bpmn:signal with a name"
    for definition in node.findall("bpmn:escalationEventDefinition", NS):
        ref = definition.get("escalationRef")
        escalation = _root_element(node, "escalation", ref)
        if (ref or throws) and (escalation is None or not escalation.get("escalationCode")):
            yield node, f"escalationRef {ref!r} must name a bpmn:escalation with an escalationCode"


def _message_task(node):
    ref = node.get("messageRef")
    if ref is None:
        definition = node.find("bpmn:messageEventDefinition", NS)
        ref = definition.get("messageRef") if definition is not None else None
    message = _root_element(node, "message", ref)
    if local(node) == "receiveTask" and (message is None or not message.get("name")):
        yield node, f"a receive task waits for a message: messageRef {ref!r} must name a bpmn:message with a name"
    elif ref is not None and (message is None or not message.get("name")):
        yield node, f"messageRef {ref!r} must name a bpmn:message with a name"


# --- gateways -------------------------------------------------------------------------------

def _event_gateway(node, container):
    ids = {c.get("id"): c for c in container if isinstance(c.tag, str)}
    for flow in _flows(container, "sourceRef", node.get("id")):
        target = ids.get(flow.get("targetRef"))
        if target is None:
            continue
        if local(target) not in EVENT_GATEWAY_TARGETS or \
                (local(target) == "intermediateCatchEvent" and not set(event_kinds(target)) & EVENT_GATEWAY_KINDS):
            yield node, f"an event-based gateway leads to message, timer or signal catch events or receive " \
                        f"tasks only, not to {local(target)} '{target.get('id')}'"


# --- multi-instance -------------------------------------------------------------------------

def _multi_instance(node):
    mi = node.find("bpmn:multiInstanceLoopCharacteristics", NS)
    if mi is None:
        return
    foreign = [etree.QName(a).localname for a in mi.attrib if etree.QName(a).namespace]
    cardinality = mi.find("bpmn:loopCardinality", NS)
    collection = mi.find("bpmn:loopDataInputRef", NS)
    if (cardinality is None) == (collection is None):
        hint = f" (the foreign {', '.join(foreign)} is ignored)" if foreign else ""
        yield node, "a multi-instance activity needs exactly one of bpmn:loopCardinality and " \
                    f"bpmn:loopDataInputRef (with bpmn:inputDataItem){hint}"
    if mi.find("bpmn:inputDataItem", NS) is not None and collection is None:
        yield node, "bpmn:inputDataItem needs a bpmn:loopDataInputRef"
    if node.get("isForCompensation") == "true":
        yield node, "a compensation handler cannot be multi-instance"
    for tag, what in (("loopCardinality", "loopCardinality"), ("completionCondition", "completionCondition")):
        expr = mi.find(f"bpmn:{tag}", NS)
        if expr is not None:
            if not (expr.text or "").strip():
                yield node, f"{what} is empty"
            else:
                yield from _expression(node, expr.text.strip(), what)


# --- timers and conditions ------------------------------------------------------------------

def _timer_cycle(node, kind):
    if node.find("bpmn:timerEventDefinition/bpmn:timeCycle", NS) is None:
        return
    where = "event_subprocess_start" if local(node) == "startEvent" and kind == "event_subprocess" else local(node)
    if where not in TIMER_CYCLE_ALLOWED:
        yield node, "timeCycle is supported on boundary events and event sub-process start events only " \
                    "(use timeDuration or timeDate here)"


def _conditions(node):
    for condition in node.findall("bpmn:conditionalEventDefinition/bpmn:condition", NS):
        if not (condition.text or "").strip():
            yield node, "a conditional event needs a condition"
        else:
            yield from _expression(node, condition.text.strip(), "condition")
    if node.find("bpmn:conditionalEventDefinition", NS) is not None and \
            node.find("bpmn:conditionalEventDefinition/bpmn:condition", NS) is None:
        yield node, "a conditional event needs a condition"
