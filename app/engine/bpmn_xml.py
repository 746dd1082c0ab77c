"""BPMN XML vocabulary for deploy-time validation: what we execute, and small XML helpers."""
from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}

TASKS = {"serviceTask", "userTask", "scriptTask", "manualTask", "task"}
ACTIVITIES = TASKS | {"subProcess", "callActivity"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "eventBasedGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent"}
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
CONNECTORS = {"sequenceFlow", "association"}
PASSIVE = {"laneSet", "dataObject", "dataObjectReference", "textAnnotation", "documentation",
           "extensionElements", "ioSpecification", "property"}
ROOT_ALLOWED = {"process", "collaboration", "message", "error", "escalation", "signal",
                "itemDefinition", "documentation", "extensionElements", "category"}
HANDLER_TYPES = {"serviceTask", "scriptTask", "task"}
LOOPS = {"standardLoopCharacteristics", "multiInstanceLoopCharacteristics"}

# which event definitions each event may carry ("none" = no definition)
ALLOWED_DEFS = {
    "startEvent": {"none", "message", "timer"},
    "event_subprocess_start": {"message", "error", "timer"},
    "subprocess_start": {"none"},
    "endEvent": {"none", "error", "compensate"},
    "intermediateThrowEvent": {"none", "compensate"},
    "intermediateCatchEvent": {"message", "timer"},
    "boundaryEvent": {"timer", "message", "error", "compensate"},
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
