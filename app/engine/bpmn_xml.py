"""BPMN XML vocabulary for deploy-time validation: what we execute, and small XML helpers."""
from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}

TASKS = {"serviceTask", "userTask", "scriptTask", "manualTask", "task", "sendTask", "receiveTask"}
SUBPROCESSES = {"subProcess", "transaction"}
ACTIVITIES = TASKS | SUBPROCESSES | {"callActivity"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent"}
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
CONNECTORS = {"sequenceFlow", "association"}
PASSIVE = {"laneSet", "dataObject", "dataObjectReference", "textAnnotation", "documentation",
           "extensionElements", "ioSpecification", "property", "incoming", "outgoing", "group",
           "multiInstanceLoopCharacteristics", "dataInputAssociation", "dataOutputAssociation"}
ROOT_ALLOWED = {"process", "collaboration", "message", "error", "escalation", "signal",
                "itemDefinition", "documentation", "extensionElements", "category"}
HANDLER_TYPES = {"serviceTask", "scriptTask", "task", "manualTask", "userTask", "sendTask", "subProcess"}
LOOPS = {"standardLoopCharacteristics"}     # refused; multiInstanceLoopCharacteristics runs
# why an element the engine does not run is refused (default: "element type not supported")
REFUSED = {
    "businessRuleTask": "business rule tasks need a decision (DMN) engine, which this product does not run",
    "complexGateway": "complex gateways are not supported (neither Camunda 7 nor 8 runs them)",
    "adHocSubProcess": "ad-hoc sub-processes are not supported",
    "standardLoopCharacteristics": "standard loops are not supported (neither Camunda 7 nor 8 runs them): "
                                   "use multiInstanceLoopCharacteristics isSequential=\"true\"",
}

# which event definitions each event may carry ("none" = no definition)
ALLOWED_DEFS = {
    "startEvent": {"none", "message", "timer", "signal"},
    "event_subprocess_start": {"message", "error", "timer", "signal", "escalation", "conditional",
                               "compensate"},
    "subprocess_start": {"none"},
    "endEvent": {"none", "error", "compensate", "signal", "escalation", "terminate", "cancel", "message"},
    "intermediateThrowEvent": {"none", "compensate", "signal", "escalation", "link", "message"},
    "intermediateCatchEvent": {"message", "timer", "signal", "conditional", "link"},
    "boundaryEvent": {"timer", "message", "error", "compensate", "signal", "escalation", "conditional",
                      "cancel"},
}
# where a timeCycle may be used (elsewhere a cycle has no meaning for this engine)
TIMER_CYCLE_ALLOWED = {"boundaryEvent", "event_subprocess_start"}

# namespaces of other engines' extensions: ignored by this engine (validation warns)
FOREIGN_NAMESPACES = {
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://camunda.org/schema/zeebe/1.0": "zeebe",
    "http://flowable.org/bpmn": "flowable",
    "http://activiti.org/bpmn": "activiti",
}


def local(node) -> str:
    return etree.QName(node).localname


def describe(node) -> str:
    return f"{local(node)} '{node.get('id')}'" if node.get("id") else f"{local(node)} without id"


def event_kinds(node) -> list[str]:
    kinds = []
    for child in node:
        if not isinstance(child.tag, str):
            continue
        name = local(child)
        if name.endswith("EventDefinition") or name == "eventDefinitionRef":
            kinds.append(name[: -len("EventDefinition")] if name.endswith("EventDefinition") else name)
    return kinds


def properties(node) -> dict:
    return {p.get("name"): p.get("value") for p in
            node.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}


def foreign_parts(node) -> list[str]:
    """Other engines' attributes and extension elements on `node` (not its children), as
    'prefix:name', e.g. ['camunda:asyncBefore', 'zeebe:taskDefinition']."""
    found = [f"{FOREIGN_NAMESPACES[etree.QName(a).namespace]}:{etree.QName(a).localname}"
             for a in node.attrib if etree.QName(a).namespace in FOREIGN_NAMESPACES]
    for ext in node.findall("bpmn:extensionElements", NS):
        found += [f"{FOREIGN_NAMESPACES[etree.QName(c).namespace]}:{etree.QName(c).localname}"
                  for c in ext if isinstance(c.tag, str) and etree.QName(c).namespace in FOREIGN_NAMESPACES]
    return found
