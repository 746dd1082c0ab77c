"""Deploy-time validation: a whitelist of the BPMN we really execute.

SpiffWorkflow 3.2.0 silently misreads much of what it does not support (elements without id are
dropped, unknown event definitions become none-events, ...), so anything not listed here is
refused with a ModelError naming the element id and type.
"""
import json
from pathlib import Path

from lxml import etree

from . import constructs
from .bpmn_xml import (
    ACTIVITIES, ALLOWED_DEFS, BPMN, CONNECTORS, EVENTS, FLOW_NODES, HANDLER_TYPES, LOOPS, NS, PASSIVE,
    REFUSED, ROOT_ALLOWED, SUBPROCESSES, TASKS, describe, event_kinds, local, properties,
)
from .errors import ModelError
from .parser import is_compensate_event
from .events import REPEATING
from .script_env import ISO_CHECK, check_source

class Validator:
    def __init__(self, files: dict[str, bytes], main_process_id: str, handler_names, forms_dir):
        self.files = files
        self.main = main_process_id
        self.handlers = set(handler_names)
        self.forms_dir = Path(forms_dir) if forms_dir is not None else None
        self.docs = {}
        self.ids = {}
        self.process_ids = set()

    def fail(self, node, reason, filename=None):
        where = f" (file {filename})" if filename else ""
        raise ModelError(f"{describe(node)}: {reason}{where}")

    def run(self):
        for filename, content in self.files.items():
            try:
                self.docs[filename] = etree.fromstring(content)
            except etree.XMLSyntaxError as exc:
                raise ModelError(f"file {filename} is not well-formed XML: {exc}") from None
        ids_by_file = {}
        for filename, root in self.docs.items():
            ids = ids_by_file[filename] = {}     # ids are unique per document, not across files
            for node in root.iter():
                if isinstance(node.tag, str) and node.get("id") and etree.QName(node).namespace == BPMN:
                    if node.get("id") in ids:
                        self.fail(node, "duplicate id", filename)
                    ids[node.get("id")] = node
            for proc in root.findall("bpmn:process", NS):
                if proc.get("id") in self.process_ids:
                    self.fail(proc, "process id defined in two files", filename)
                self.process_ids.add(proc.get("id"))
        if self.main not in self.process_ids:
            raise ModelError(f"process '{self.main}' not found in {sorted(self.files)}")
        self.reachable = self.reachable_processes()
        for filename, root in self.docs.items():
            self.filename = filename
            self.root = root
            self.ids = ids_by_file[filename]
            self.check_root(root)

    def reachable_processes(self) -> set:
        """The main process and what it calls: other processes in the files are not deployed."""
        by_id = {p.get("id"): p for root in self.docs.values() for p in root.findall("bpmn:process", NS)}
        seen, todo = set(), [self.main]
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in by_id:
                continue
            seen.add(pid)
            todo.extend(c.get("calledElement") for c in by_id[pid].iter(f"{{{BPMN}}}callActivity"))
        return seen

    def check_root(self, root):
        if local(root) != "definitions":
            raise ModelError(f"file {self.filename}: root element must be bpmn:definitions")
        for child in root:
            if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN:
                continue
            if local(child) not in ROOT_ALLOWED:
                self.fail(child, "element type not supported", self.filename)
            if local(child) == "process" and child.get("id") in self.reachable:
                self.check_container(child, "process", is_main=child.get("id") == self.main)

    def check_container(self, container, kind, is_main=False):
        children = [c for c in container if isinstance(c.tag, str) and etree.QName(c).namespace == BPMN]
        local_ids = {c.get("id"): c for c in children if c.get("id")}
        for node in children:
            name = local(node)
            if name in PASSIVE:
                continue
            if name not in FLOW_NODES and name not in CONNECTORS:
                self.fail(node, REFUSED.get(name, "element type not supported"), self.filename)
            if not node.get("id"):
                self.fail(node, f"every {name} needs an id (in {describe(container)}, "
                                f"name={node.get('name')!r}, sourceRef={node.get('sourceRef')!r})",
                          self.filename)
            for child in node:
                if isinstance(child.tag, str) and local(child) in LOOPS:
                    self.fail(node, REFUSED[local(child)], self.filename)
            if name == "sequenceFlow":
                self.check_flow(node, local_ids)
            elif name in EVENTS:
                self.check_event(node, container, kind, local_ids)
            elif name in TASKS:
                self.check_task(node, local_ids, children)
            elif name in SUBPROCESSES:
                self.check_subprocess(node, kind, is_main)
            elif name == "callActivity":
                if node.get("calledElement") not in self.process_ids:
                    self.fail(node, f"calls unknown process {node.get('calledElement')!r}", self.filename)
            for bad, message in constructs.check(node, container, kind):
                self.fail(bad, message, self.filename)

    def check_flow(self, node, local_ids):
        for ref in ("sourceRef", "targetRef"):
            if node.get(ref) not in local_ids:
                self.fail(node, f"{ref} {node.get(ref)!r} is not an element of the same scope", self.filename)
        cond = node.find("bpmn:conditionExpression", NS)
        if cond is not None and (cond.text or "").strip():
            self.check_expr(node, cond.text.strip(), "eval")

    def check_expr(self, node, source, mode):
        try:
            check_source(source, mode)
        except (SyntaxError, ValueError) as exc:
            self.fail(node, f"invalid expression {source!r}: {exc}", self.filename)

    def check_event(self, node, container, kind, local_ids):
        name = local(node)
        kinds = event_kinds(node)
        if len(kinds) > 1:
            self.fail(node, f"multiple event definitions ({', '.join(kinds)}) are not supported", self.filename)
        definition = kinds[0] if kinds else "none"
        key = name
        if name == "startEvent" and kind == "event_subprocess":
            key = "event_subprocess_start"
        elif name == "startEvent" and kind == "subprocess":
            key = "subprocess_start"
        if definition not in ALLOWED_DEFS[key]:
            where = " in an event sub-process" if key == "event_subprocess_start" else ""
            self.fail(node, f"{definition} event definition is not supported on {name}{where}", self.filename)
        if definition == "timer":
            self.check_timer(node)
        elif definition == "message":
            ref = node.find("bpmn:messageEventDefinition", NS).get("messageRef")
            msg = self.ids.get(ref)
            if msg is None or local(msg) != "message" or not msg.get("name"):
                self.fail(node, f"messageRef {ref!r} must name a bpmn:message with a name", self.filename)
        elif definition == "error":
            ref = node.find("bpmn:errorEventDefinition", NS).get("errorRef")
            if ref is not None and (ref not in self.ids or local(self.ids[ref]) != "error"):
                self.fail(node, f"errorRef {ref!r} is not a bpmn:error", self.filename)
            if name == "endEvent" and (ref is None or not self.ids[ref].get("errorCode")):
                self.fail(node, "an error end event needs an errorRef with an errorCode", self.filename)
        elif definition == "compensate":
            self.check_compensate(node, container, kind, local_ids)
        if name == "boundaryEvent":
            target = local_ids.get(node.get("attachedToRef"))
            if target is None or local(target) not in ACTIVITIES:
                self.fail(node, "attachedToRef must be an activity of the same scope", self.filename)

    def check_timer(self, node):
        timer = node.find("bpmn:timerEventDefinition", NS)
        expr = next((e for e in (timer.find(f"bpmn:{t}", NS) for t in ("timeDuration", "timeDate", "timeCycle"))
                     if e is not None), None)
        if expr is None or not (expr.text or "").strip():
            self.fail(node, "timer needs a timeDuration, timeDate or timeCycle", self.filename)
        text = expr.text.strip()
        if not (ISO_CHECK.match(text) or REPEATING.match(text)):
            self.check_expr(node, text, "eval")

    def check_compensate(self, node, container, kind, local_ids):
        definition = node.find("bpmn:compensateEventDefinition", NS)
        if local(node) == "boundaryEvent":
            handler = self.associated(node)
            if handler is None or handler.get("isForCompensation") != "true":
                self.fail(node, "a compensation boundary event needs an association to an activity "
                                "with isForCompensation=\"true\"", self.filename)
            if local(handler) not in HANDLER_TYPES:
                self.fail(handler, f"compensation handler must be one of {sorted(HANDLER_TYPES)}", self.filename)
            if handler.getparent() is not container:
                self.fail(handler, "compensation handler must be in the same scope as its activity", self.filename)
            return
        ref = definition.get("activityRef")
        if ref is None:
            return
        scope = container.getparent() if kind == "event_subprocess" else container
        target = self.ids.get(ref)
        if target is None or target.getparent() is not scope or local(target) not in ACTIVITIES:
            self.fail(node, f"activityRef {ref!r} must be an activity of the compensated scope", self.filename)

    def associated(self, node):
        for assoc in self.root.iter(f"{{{BPMN}}}association"):
            other = None
            if assoc.get("sourceRef") == node.get("id"):
                other = assoc.get("targetRef")
            elif assoc.get("targetRef") == node.get("id"):
                other = assoc.get("sourceRef")
            if other is not None and other in self.ids:
                return self.ids[other]
        return None

    def check_task(self, node, local_ids, siblings):
        name = local(node)
        if node.get("isForCompensation") == "true":
            if name not in HANDLER_TYPES:
                self.fail(node, f"compensation handler must be one of {sorted(HANDLER_TYPES)}", self.filename)
            for flow in siblings:
                if local(flow) == "sequenceFlow" and node.get("id") in (flow.get("sourceRef"), flow.get("targetRef")):
                    self.fail(node, "a compensation handler must not have sequence flows", self.filename)
            boundary = self.associated(node)
            if boundary is None or local(boundary) != "boundaryEvent" or not is_compensate_event(boundary):
                self.fail(node, "a compensation handler must be associated with a compensation "
                                "boundary event", self.filename)
        if name == "serviceTask":
            self.check_service(node)
        elif name == "userTask":
            self.check_form(node)
        elif name == "scriptTask":
            script = node.find("bpmn:script", NS)
            if script is None or not (script.text or "").strip():
                self.fail(node, "a script task needs a script", self.filename)
            self.check_expr(node, script.text, "exec")

    def check_service(self, node):
        operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if operator is None or not operator.get("id"):
            self.fail(node, "a service task needs <spiffworkflow:serviceTaskOperator id=\"handler\">", self.filename)
        if operator.get("id") not in self.handlers:
            self.fail(node, f"unknown handler {operator.get('id')!r}", self.filename)
        for param in operator.findall(".//spiffworkflow:parameter", NS):
            if param.get("value") is not None:
                self.check_expr(node, param.get("value"), "eval")
        props = properties(node)
        for key, cast in (("retry.max_attempts", int), ("retry.base_s", float)):
            if key in props:
                try:
                    cast(props[key])
                except (TypeError, ValueError):
                    self.fail(node, f"property {key} must be a number, got {props[key]!r}", self.filename)

    def check_form(self, node):
        form = properties(node).get("formJsonSchemaFilename")
        if form is None or self.forms_dir is None:
            return
        path = self.forms_dir / form
        if Path(form).name != form or not path.is_file():
            self.fail(node, f"form {form!r} not found in {self.forms_dir}", self.filename)
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            self.fail(node, f"form {form!r} is not valid JSON: {exc}", self.filename)

    def check_subprocess(self, node, kind, is_main):
        if node.get("triggeredByEvent") != "true":
            self.check_container(node, "subprocess")
            return
        starts = node.findall("bpmn:startEvent", NS)
        if len(starts) != 1:
            self.fail(node, f"an event sub-process needs exactly one start event, found {len(starts)}",
                      self.filename)
        self.check_container(node, "event_subprocess")


def validate(files, main_process_id, handler_names, forms_dir):
    Validator(files, main_process_id, handler_names, forms_dir).run()
