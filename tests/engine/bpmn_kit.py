"""Small builders for hand-written test models, and `modeler_export`, which turns one into what
bpmn-js / Camunda Modeler write: <incoming>/<outgoing> on every flow node and a diagram (DI) with a
shape per element and an edge per flow.
"""
from xml.sax.saxutils import escape

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NAMESPACES = (f'xmlns:bpmn="{BPMN}" xmlns:bpmndi="{BPMNDI}" xmlns:dc="{DC}" xmlns:di="{DI}" '
              f'xmlns:spiffworkflow="{SPIFF}"')


def definitions(*parts, extra_ns="") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NAMESPACES} {extra_ns} '
            f'id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">{"".join(parts)}'
            f'</bpmn:definitions>').encode()


def process(pid, *elements) -> str:
    return f'<bpmn:process id="{pid}" isExecutable="true">{"".join(elements)}</bpmn:process>'


def operator(op, params=None):
    items = "".join(f'<spiffworkflow:parameter id="{k}" type="any" value="{v}"/>' for k, v in (params or {}).items())
    inner = f"<spiffworkflow:parameters>{items}</spiffworkflow:parameters>" if items else ""
    return f'<spiffworkflow:serviceTaskOperator id="{op}">{inner}</spiffworkflow:serviceTaskOperator>'


def service(id, op="op", params=None, inner="", attrs=""):
    return (f'<bpmn:serviceTask id="{id}" name="{id}" {attrs}><bpmn:extensionElements>{operator(op, params)}'
            f'</bpmn:extensionElements>{inner}</bpmn:serviceTask>')


FORM = ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
        'name="formJsonSchemaFilename" value="sign_order.json"/></spiffworkflow:properties></bpmn:extensionElements>')


def user(id, attrs="", inner=""):
    """A user task with a form (deployment refuses one without, when the forms are known)."""
    return f'<bpmn:userTask id="{id}" name="{id}" {attrs}>{FORM}{inner}</bpmn:userTask>'


def script(id, code, attrs="", loop=""):
    return f'<bpmn:scriptTask id="{id}" {attrs}><bpmn:script>{code}</bpmn:script>{loop}</bpmn:scriptTask>'


def event(tag, id, definition="", attrs=""):
    return f'<bpmn:{tag} id="{id}" {attrs}>{definition}</bpmn:{tag}>'


def start(id="start", definition="", attrs=""):
    return event("startEvent", id, definition, attrs)


def end(id="end", definition="", status=None):
    props = (f'<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="status" '
             f'value="{status}"/></spiffworkflow:properties></bpmn:extensionElements>') if status else ""
    return f'<bpmn:endEvent id="{id}">{props}{definition}</bpmn:endEvent>'


def boundary(id, attached, definition, interrupting=True):
    cancel = "" if interrupting else ' cancelActivity="false"'
    return f'<bpmn:boundaryEvent id="{id}" attachedToRef="{attached}"{cancel}>{definition}</bpmn:boundaryEvent>'


def flow(source, target, condition=None, id=None):
    cond = f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="{id or f"{source}_to_{target}"}" sourceRef="{source}" targetRef="{target}">{cond}</bpmn:sequenceFlow>'


def chain(*ids):
    return "".join(flow(a, b) for a, b in zip(ids, ids[1:]))


def compensated_by(activity, handler_id, op="undo", params=None, handler=None):
    """A compensation boundary event on `activity`, associated with a handler (a service task)."""
    handler = handler or service(handler_id, op, params, attrs='isForCompensation="true"')
    return (boundary(f"{activity}_comp", activity, "<bpmn:compensateEventDefinition/>") + handler +
            f'<bpmn:association id="{activity}_assoc" sourceRef="{activity}_comp" targetRef="{handler_id}"/>')


def subprocess(id, *elements, attrs="", loop="", tag="subProcess"):
    return f'<bpmn:{tag} id="{id}" name="{id}" {attrs}>{loop}{"".join(elements)}</bpmn:{tag}>'


def event_subprocess(id, *elements, tag="subProcess"):
    return f'<bpmn:{tag} id="{id}" triggeredByEvent="true">{"".join(elements)}</bpmn:{tag}>'


def error(id, code):
    return f'<bpmn:error id="{id}" name="{code}" errorCode="{code}"/>'


def message(id, name=None, variable=None):
    ext = (f"<bpmn:extensionElements><spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>"
           f"</bpmn:extensionElements>") if variable else ""
    return f'<bpmn:message id="{id}" name="{name or id}">{ext}</bpmn:message>'


def signal(id, name=None):
    return f'<bpmn:signal id="{id}" name="{name or id}"/>'


def escalation(id, code):
    return f'<bpmn:escalation id="{id}" name="{code}" escalationCode="{code}"/>'


def mi(collection=None, item=None, cardinality=None, sequential=False, condition=None):
    parts = []
    if cardinality is not None:
        parts.append(f"<bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>")
    if collection is not None:
        parts.append(f"<bpmn:loopDataInputRef>{collection}</bpmn:loopDataInputRef>")
    if item is not None:
        parts.append(f'<bpmn:inputDataItem id="{item}" name="{item}"/>')
    if condition is not None:
        parts.append(f"<bpmn:completionCondition>{condition}</bpmn:completionCondition>")
    seq = ' isSequential="true"' if sequential else ""
    return f'<bpmn:multiInstanceLoopCharacteristics{seq}>{"".join(parts)}</bpmn:multiInstanceLoopCharacteristics>'


COMPENSATE = "<bpmn:compensateEventDefinition/>"


def compensate(activity=None, wait=True):
    ref = f' activityRef="{activity}"' if activity else ""
    w = "" if wait else ' waitForCompletion="false"'
    return f"<bpmn:compensateEventDefinition{ref}{w}/>"


def error_def(ref):
    return f'<bpmn:errorEventDefinition errorRef="{ref}"/>'


def message_def(ref):
    return f'<bpmn:messageEventDefinition messageRef="{ref}"/>'


def signal_def(ref):
    return f'<bpmn:signalEventDefinition signalRef="{ref}"/>'


def escalation_def(ref=None):
    return f'<bpmn:escalationEventDefinition escalationRef="{ref}"/>' if ref else "<bpmn:escalationEventDefinition/>"


def timer_def(kind, value):
    return f"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>"


# --- what a modeler writes ------------------------------------------------------------------

FLOW_NODE_TAGS = {"task", "serviceTask", "userTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
                  "businessRuleTask", "subProcess", "transaction", "callActivity", "startEvent", "endEvent",
                  "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent", "exclusiveGateway",
                  "parallelGateway", "inclusiveGateway", "eventBasedGateway"}


def _tag(name):
    return f"{{{BPMN}}}{name}"


def modeler_export(xml: bytes) -> bytes:
    """The same model as bpmn-js exports it: incoming/outgoing children and DI, laid out so
    that later elements sit higher (SpiffWorkflow orders branches by their y coordinate)."""
    root = etree.fromstring(xml)
    for container in root.iter(_tag("process"), _tag("subProcess"), _tag("transaction")):
        nodes = {n.get("id"): n for n in container if etree.QName(n).localname in FLOW_NODE_TAGS}
        for f in container.iterchildren(_tag("sequenceFlow")):
            for ref, kind in (("targetRef", "incoming"), ("sourceRef", "outgoing")):
                node = nodes.get(f.get(ref))
                if node is not None and f.get("id") not in [c.text for c in node.iterchildren(_tag(kind))]:
                    child = etree.Element(_tag(kind))
                    child.text = f.get("id")
                    node.insert(_after_head(node), child)
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id="BPMNDiagram_1")
    for proc in root.iterchildren(_tag("process")):
        plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"BPMNPlane_{proc.get('id')}",
                                 bpmnElement=proc.get("id"))
        shapes = [n for n in proc.iter() if isinstance(n.tag, str) and etree.QName(n).localname in FLOW_NODE_TAGS]
        for i, node in enumerate(shapes):
            attrs = {"id": f"{node.get('id')}_di", "bpmnElement": node.get("id")}
            if etree.QName(node).localname in ("subProcess", "transaction"):
                attrs["isExpanded"] = "true"
            shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", **attrs)
            etree.SubElement(shape, f"{{{DC}}}Bounds", x=str(150 + 130 * i), y=str(1000 - 40 * i),
                             width="100", height="80")
        for f in proc.iter(_tag("sequenceFlow"), _tag("association")):
            edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{f.get('id')}_di", bpmnElement=f.get("id"))
            for x in ("0", "10"):
                etree.SubElement(edge, f"{{{DI}}}waypoint", x=x, y="0")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _after_head(node):
    index = 0
    for i, child in enumerate(node):
        if isinstance(child.tag, str) and etree.QName(child).localname in (
                "documentation", "extensionElements", "incoming", "outgoing"):
            index = i + 1
    return index
