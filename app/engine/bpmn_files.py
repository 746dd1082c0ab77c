"""BPMN files as the engine reads them: parsed safely, missing connector ids synthesised.

The same functions serve validation, deployment (the stored XML is what the engine parsed) and
the element listing of a deployed version, so every one of them sees the same ids.
"""
from dataclasses import dataclass

from lxml import etree

from .bpmn_xml import BPMN, CONNECTORS, ID_PREFIX, NS, local
from .problems import Report

# Elements listed for a version (their direct children are walked too, for sub-processes)
_SCOPES = {"process", "subProcess", "transaction", "adHocSubProcess"}
_NOT_LISTED = {"laneSet", "extensionElements", "documentation", "ioSpecification", "property",
               "incoming", "outgoing", "dataInputAssociation", "dataOutputAssociation",
               "standardLoopCharacteristics", "multiInstanceLoopCharacteristics"}


@dataclass
class BpmnFile:
    name: str
    root: object        # lxml element: bpmn:definitions
    content: bytes      # the XML the engine parses (with synthesised ids, if any were missing)


def _parser():
    # no DTDs, no entities, no network: a model is data, never instructions to the parser
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def as_bytes(content) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def load(files: dict, report: Report) -> list[BpmnFile]:
    """Parse every file; a file that cannot be read is reported and left out."""
    loaded = []
    for name, content in files.items():
        report.file = name
        raw = as_bytes(content)
        try:
            root = etree.fromstring(raw, _parser())
        except etree.XMLSyntaxError as exc:
            report.error(None, f"the file is not well-formed XML: {exc.msg}", line=exc.lineno)
            continue
        if root.getroottree().docinfo.doctype:
            report.error(root, "a DOCTYPE declaration is not allowed in a BPMN file")
            continue
        if synthesise_ids(root, report):
            raw = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
        loaded.append(BpmnFile(name, root, raw))
    report.file = None
    return loaded


def synthesise_ids(root, report: Report | None = None) -> bool:
    """Give sequence flows and associations without an id a stable one, derived from their
    source and target (`Flow_<source>_<target>`, then `_2`, `_3` for parallel duplicates, in
    document order). True if the tree changed."""
    taken = {node.get("id") for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    changed = False
    for node in root.iter(*(f"{{{BPMN}}}{name}" for name in CONNECTORS)):
        if node.get("id"):
            continue
        base = f"{ID_PREFIX[local(node)]}_{node.get('sourceRef') or 'unknown'}_{node.get('targetRef') or 'unknown'}"
        new_id, n = base, 1
        while new_id in taken:
            n += 1
            new_id = f"{base}_{n}"
        node.set("id", new_id)
        taken.add(new_id)
        changed = True
        if report is not None:
            report.warning(node, f"had no id; it was given the id '{new_id}', derived from its source "
                                 "and target (give it an id of your own to keep it stable across edits)")
    return changed


def elements(files: list[BpmnFile]) -> list[dict]:
    """Every element of every process: id, type, name, for connectors source and target, the
    process and the scope (process or sub-process) it belongs to, and its file."""
    found = []
    for bpmn_file in files:
        for process in bpmn_file.root.findall("bpmn:process", NS):
            _walk(process, process.get("id"), bpmn_file.name, found)
    return found


def _walk(scope, process_id, filename, found):
    for node in scope:
        if not isinstance(node.tag, str) or etree.QName(node).namespace != BPMN:
            continue
        kind = local(node)
        if kind in _NOT_LISTED or not node.get("id"):
            continue
        element = {"id": node.get("id"), "type": kind, "name": node.get("name"),
                   "process": process_id, "scope": scope.get("id"), "file": filename}
        if kind in CONNECTORS:
            element.update(source=node.get("sourceRef"), target=node.get("targetRef"))
        found.append(element)
        if kind in _SCOPES:
            _walk(node, process_id, filename, found)
