"""What each element of a bundle says beyond its id, type and name: the settings a change of
which changes what the engine does (handler and parameters, extension properties, event
definitions, boundary host, called process, flow condition). Read by the model diff."""
from .bpmn_files import load
from .bpmn_xml import BPMN, NS, event_kinds, local, properties
from .problems import Report


def details(files: dict) -> dict[str, dict]:
    """Element id -> its settings, for every element with an id in the processes of the files."""
    found = {}
    for bpmn_file in load(files, Report()):
        for process in bpmn_file.root.findall("bpmn:process", NS):
            for node in process.iter(f"{{{BPMN}}}*"):
                if node.get("id") and node is not process:
                    found[node.get("id")] = _settings(node)
    return found


def _settings(node) -> dict:
    operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
    condition = node.find("bpmn:conditionExpression", NS)
    settings = {
        "handler": operator.get("id") if operator is not None else None,
        "parameters": {p.get("id"): p.get("value") for p in operator.iterfind(".//spiffworkflow:parameter", NS)}
        if operator is not None else {},
        "properties": properties(node),
        "events": event_kinds(node),
        "attached_to": node.get("attachedToRef"),
        "called": node.get("calledElement"),
        "condition": " ".join((condition.text or "").split()) if condition is not None else None,
        "for_compensation": node.get("isForCompensation") == "true",
        "interrupting": node.get("cancelActivity", "true") != "false" if local(node) == "boundaryEvent" else None,
    }
    return {key: value for key, value in settings.items() if value not in (None, {}, [], False)}
