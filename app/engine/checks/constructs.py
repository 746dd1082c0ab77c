"""Structural rules of the constructs beyond plain flows, as BPMN 2.0.2 states them (and Camunda
7's parser enforces them): boundary events, event sub-processes, transactions, links, message
tasks, references to root elements, multi-instance, timer cycles, conditional events."""
from ..bpmn_xml import (
    ACTIVITIES, ALLOWED_DEFS, BPMN, EVENTS, MULTI_INSTANCE, NS, SUBPROCESSES, TIMER_CYCLE_ALLOWED,
    event_kinds, link_name, local,
)
from . import element, prefixed, triggered_by_event


def _children(container, name):
    return container.iterchildren(f"{{{BPMN}}}{name}")


# --- boundary events, compensation --------------------------------------------------------

@element("boundaryEvent")
def boundary_kinds(v, node, scope):
    kinds = event_kinds(node)
    target = scope.ids.get(node.get("attachedToRef"))
    if "cancel" in kinds and (target is None or local(target) != "transaction"):
        v.report.error(node, "a cancel boundary event must be attached to a transaction")
    if ("error" in kinds or "cancel" in kinds) and node.get("cancelActivity") == "false":
        v.report.error(node, "an error or cancel boundary event always interrupts "
                             "(cancelActivity=\"false\" is not allowed)")
    if "compensate" not in kinds:
        return
    definition = node.find("bpmn:compensateEventDefinition", NS)
    if definition.get("activityRef"):
        v.report.error(node, "a compensation boundary event cannot name an activityRef (its activity is "
                             "the one it is attached to)")
    if definition.get("waitForCompletion", "true").lower() == "false":
        v.report.error(node, "waitForCompletion=\"false\" has no meaning on a compensation boundary event")
    if scope.outgoing.get(node.get("id")):
        v.report.error(node, "a compensation boundary event has no outgoing sequence flow: associate it "
                             "with its handler")
    others = [b for b in _children(scope.node, "boundaryEvent") if b is not node
              and b.get("attachedToRef") == node.get("attachedToRef") and "compensate" in event_kinds(b)]
    if others and scope.children.index(node) > scope.children.index(others[0]):
        v.report.error(node, f"activity '{node.get('attachedToRef')}' has more than one compensation "
                             "boundary event")
    if target is not None and compensation_subprocesses(target):
        v.report.error(node, f"sub-process '{target.get('id')}' has both a compensation boundary event "
                             "and a compensation event sub-process: keep one")


def compensation_subprocesses(node) -> list:
    return [es for es in node if isinstance(es.tag, str) and local(es) == "subProcess"
            and triggered_by_event(es)
            and any("compensate" in event_kinds(s) for s in _children(es, "startEvent"))]


# --- start events, event sub-processes, transactions ----------------------------------------

@element("startEvent")
def event_subprocess_start(v, node, scope):
    if scope.kind != "event_subprocess":
        return
    kinds = event_kinds(node)
    if "compensate" in kinds:
        if local(scope.node.getparent()) == "process":
            v.report.error(node, "a compensation event sub-process cannot be at process level (BPMN 2.0.2): "
                                 "put it in the sub-process it compensates")
        if node.find("bpmn:compensateEventDefinition", NS).get("activityRef"):
            v.report.error(node, "a compensation start event cannot name an activityRef")
    if "error" in kinds and node.get("isInterrupting") == "false":
        v.report.error(node, "an error start event always interrupts (isInterrupting=\"false\" is not allowed)")


@element(*SUBPROCESSES)
def event_subprocess(v, node, scope):
    if not triggered_by_event(node):
        return
    if node.find(f"bpmn:{MULTI_INSTANCE}", NS) is not None:
        v.report.error(node, "an event sub-process cannot be multi-instance")
    if node in compensation_subprocesses(scope.node)[1:]:
        v.report.error(node, f"'{scope.node.get('id')}' has more than one compensation event sub-process")


@element("transaction")
def transaction_cancel(v, node, scope):
    cancels = [e for e in _children(node, "endEvent") if "cancel" in event_kinds(e)]
    boundaries = [b for b in _children(scope.node, "boundaryEvent")
                  if b.get("attachedToRef") == node.get("id") and "cancel" in event_kinds(b)]
    if cancels and not boundaries:
        v.report.error(node, "a transaction with a cancel end event needs a cancel boundary event to leave by")


@element("endEvent")
def cancel_end(v, node, scope):
    if "cancel" in event_kinds(node) and local(scope.node) != "transaction":
        v.report.error(node, "a cancel end event must be inside a transaction")


# --- links ----------------------------------------------------------------------------------

@element("intermediateThrowEvent", "intermediateCatchEvent")
def link_pairs(v, node, scope):
    if "link" not in event_kinds(node):
        return
    name = link_name(node)
    if not name:
        v.report.error(node, "a link event needs a name")
        return
    if local(node) == "intermediateThrowEvent":
        catches = [c for c in _children(scope.node, "intermediateCatchEvent") if link_name(c) == name]
        if len(catches) != 1:
            v.report.error(node, f"link '{name}' needs exactly one link catch event of that name in the same "
                                 f"scope, found {len(catches)}")


# --- references to root elements ----------------------------------------------------------

def _root_element(node, kind, ref):
    return node.getroottree().getroot().find(f"bpmn:{kind}[@id='{ref}']", NS) if ref else None


@element("startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent")
def signal_escalation_refs(v, node, scope):
    throws = local(node) in ("endEvent", "intermediateThrowEvent")
    for definition in node.findall("bpmn:signalEventDefinition", NS):
        signal = _root_element(node, "signal", definition.get("signalRef"))
        if signal is None or not signal.get("name"):
            v.report.error(node, f"its signalRef {definition.get('signalRef')!r} must name a bpmn:signal "
                                 "that has a name")
    for definition in node.findall("bpmn:escalationEventDefinition", NS):
        ref = definition.get("escalationRef")
        escalation = _root_element(node, "escalation", ref)
        if (ref or throws) and (escalation is None or not escalation.get("escalationCode")):
            v.report.error(node, f"its escalationRef {ref!r} must name a bpmn:escalation with an escalationCode")


@element("sendTask", "receiveTask")
def message_task(v, node, scope):
    ref = node.get("messageRef")
    definition = node.find("bpmn:messageEventDefinition", NS)
    if ref is None and definition is not None:
        ref = definition.get("messageRef")
    message = _root_element(node, "message", ref)
    if local(node) == "receiveTask" and (message is None or not message.get("name")):
        v.report.error(node, f"a receive task waits for a message: its messageRef {ref!r} must name a "
                             "bpmn:message that has a name")
    elif ref is not None and (message is None or not message.get("name")):
        v.report.error(node, f"its messageRef {ref!r} must name a bpmn:message that has a name")


# --- multi-instance -------------------------------------------------------------------------

@element(*ACTIVITIES)
def multi_instance(v, node, scope):
    mi = node.find(f"bpmn:{MULTI_INSTANCE}", NS)
    if mi is None:
        return
    cardinality = mi.find("bpmn:loopCardinality", NS)
    collection = mi.find("bpmn:loopDataInputRef", NS)
    if (cardinality is None) == (collection is None):
        foreign = sorted(prefixed(mi, a) for a in mi.attrib if "}" in a)
        hint = f" (the foreign {', '.join(foreign)} is ignored)" if foreign else ""
        v.report.error(node, "a multi-instance activity needs exactly one of bpmn:loopCardinality and "
                             f"bpmn:loopDataInputRef (with bpmn:inputDataItem){hint}", line=mi.sourceline)
    if mi.find("bpmn:inputDataItem", NS) is not None and collection is None:
        v.report.error(node, "bpmn:inputDataItem needs a bpmn:loopDataInputRef", line=mi.sourceline)
    if node.get("isForCompensation") == "true":
        v.report.error(node, "a compensation handler cannot be multi-instance")
    for tag in ("loopCardinality", "completionCondition"):
        expr = mi.find(f"bpmn:{tag}", NS)
        if expr is None:
            continue
        if not (expr.text or "").strip():
            v.report.error(node, f"its {tag} is empty", line=expr.sourceline)
        else:
            v.expression(node, expr.text, "eval", f"the {tag}", at=expr)
    # the collection and the items are variables of the task data, not expressions
    for tag, attr in (("loopDataInputRef", None), ("loopDataOutputRef", None),
                      ("inputDataItem", "id"), ("outputDataItem", "id")):
        ref = mi.find(f"bpmn:{tag}", NS)
        if ref is None:
            continue
        name = (ref.get(attr) if attr else ref.text) or ""
        if not name.strip().isidentifier():
            v.report.error(node, f"its {tag} {name.strip()!r} must name a variable of the process data "
                                 "(a Python identifier), not an expression", line=ref.sourceline)


# --- timers and conditions ------------------------------------------------------------------

@element(*EVENTS)
def timer_cycle(v, node, scope):
    if node.find("bpmn:timerEventDefinition/bpmn:timeCycle", NS) is None:
        return
    where = "event_subprocess_start" if local(node) == "startEvent" and scope.kind == "event_subprocess" \
        else local(node)
    if where not in TIMER_CYCLE_ALLOWED and "timer" in ALLOWED_DEFS.get(where, ()):
        v.report.error(node, "timeCycle is supported on boundary events and event sub-process start "
                             "events only (use timeDuration or timeDate here)")


@element(*EVENTS)
def conditional(v, node, scope):
    definition = node.find("bpmn:conditionalEventDefinition", NS)
    if definition is None:
        return
    condition = definition.find("bpmn:condition", NS)
    if condition is None or not (condition.text or "").strip():
        v.report.error(node, "a conditional event needs a condition")
    else:
        v.expression(node, condition.text, "eval", "the condition", at=condition)
