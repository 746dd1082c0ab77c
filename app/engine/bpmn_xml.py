"""BPMN XML vocabulary for deploy-time validation: what we execute, and small XML helpers."""
from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
XSI = "http://www.w3.org/2001/XMLSchema-instance"
# namespaces that change nothing the engine does: diagram interchange, colours, modeler metadata
DECORATION_NS = {
    "http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI", "http://bpmn.io/schema/bpmn/biocolor/1.0",
    "http://www.omg.org/spec/BPMN/non-normative/color/1.0", "http://camunda.org/schema/modeler/1.0", XSI,
}
# other engines' vocabularies: ignored, with a warning that names the engine
FOREIGN_ENGINES = {
    "http://camunda.org/schema/1.0/bpmn": "Camunda 7", "http://camunda.org/schema/zeebe/1.0": "Camunda 8 (Zeebe)",
    "http://flowable.org/bpmn": "Flowable", "http://activiti.org/bpmn": "Activiti",
}

TASKS = {"serviceTask", "userTask", "scriptTask", "manualTask", "task", "sendTask", "receiveTask"}
SUBPROCESSES = {"subProcess", "transaction"}
ACTIVITIES = TASKS | SUBPROCESSES | {"callActivity"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateThrowEvent", "intermediateCatchEvent", "boundaryEvent"}
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
CONNECTORS = {"sequenceFlow", "association"}
PASSIVE = {"laneSet", "dataObject", "dataObjectReference", "textAnnotation", "group", "documentation",
           "extensionElements", "ioSpecification", "property"}
ROOT_ALLOWED = {"process", "collaboration", "message", "error", "escalation", "signal",
                "itemDefinition", "documentation", "extensionElements", "category"}
HANDLER_TYPES = {"serviceTask", "scriptTask", "task", "manualTask", "userTask", "sendTask", "subProcess"}
MULTI_INSTANCE = "multiInstanceLoopCharacteristics"
LOOPS = {"standardLoopCharacteristics"}     # refused; multiInstanceLoopCharacteristics runs
# why an element the engine does not run is refused (default: "<type> is not supported by the engine")
REFUSED = {
    "businessRuleTask": "business rule tasks need a decision (DMN) engine, which this product does not run",
    "complexGateway": "complex gateways are not supported (neither Camunda 7 nor 8 runs them)",
    "adHocSubProcess": "ad-hoc sub-processes are not supported",
    "standardLoopCharacteristics": "standard loops are not supported (neither Camunda 7 nor 8 runs them): "
                                   "use multiInstanceLoopCharacteristics isSequential=\"true\"",
}
# children of an activity that are parts of it (of a sub-process too), not elements of its scope
NODE_PARTS = {"incoming", "outgoing", "dataInputAssociation", "dataOutputAssociation", MULTI_INSTANCE} | LOOPS
# flow nodes that may have no incoming sequence flow (the flow reaches them otherwise)
ENTRY_NODES = {"startEvent", "boundaryEvent"}
# flow nodes whose path may end without an outgoing sequence flow
EXIT_NODES = {"endEvent"}
# flow nodes that may have several outgoing sequence flows (others need a gateway to split)
SPLITTING_NODES = GATEWAYS
# scripts and conditions are Python; another language would be run as Python by mistake
PYTHON_LANGUAGES = {"", "python", "python3", "text/x-python", "text/python", "application/x-python"}
# a loop of sequence flows must pass one of these: SpiffWorkflow 3.2.0 predicts the path ahead
# at every step and recurses without end around a loop that has no choice in it
LOOP_BREAKERS = {"exclusiveGateway", "inclusiveGateway", "eventBasedGateway"}
# what an event-based gateway may lead to, and which catch events there (3.2.0's gateway never
# sees a condition hold)
EVENT_GATEWAY_TARGETS = {"intermediateCatchEvent", "receiveTask"}
EVENT_GATEWAY_KINDS = {"message", "timer", "signal"}
# ids SpiffWorkflow gives its own steps of every process: an element with one breaks the process
RESERVED_IDS = {"Start", "End", "Root"}
# children of bpmn:definitions that events refer to by id
REFERENCED_DEFINITIONS = {"message", "error", "escalation", "signal"}
# connectors without an id get one derived from their ends (see bpmn_files.synthesise_ids)
ID_PREFIX = {"sequenceFlow": "Flow", "association": "Association"}

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


def local(node) -> str:
    return etree.QName(node).localname


def is_executable(process) -> bool:
    """isExecutable as SpiffWorkflow reads it: absent means executable."""
    return process.get("isExecutable", "true") == "true"


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


def link_name(node) -> str | None:
    """The name of a link event's linkEventDefinition (None: not a link event, or unnamed)."""
    definition = node.find("bpmn:linkEventDefinition", NS)
    return definition.get("name") if definition is not None else None


def properties(node) -> dict:
    return {p.get("name"): p.get("value") for p in
            node.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}

