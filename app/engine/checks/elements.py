"""Checks of what each element says: event definitions, handlers, forms, scripts, extensions."""
import json
from pathlib import Path

from lxml import etree

from ..bpmn_xml import (
    ACTIVITIES, ALLOWED_DEFS, BPMN, DECORATION_NS, EVENTS, FOREIGN_ENGINES, HANDLER_TYPES, NS,
    REFERENCED_DEFINITIONS, SPIFF, event_kinds, local, properties,
)
from ..event_parsers import is_compensate_event
from ..events import REPEATING
from ..script_env import ISO_CHECK
from . import common, definition, element, is_python, named, prefixed, spiff_text, triggered_by_event


@common
def foreign_extensions(v, node, scope):
    """Other engines' attributes and extension elements change nothing here: say so."""
    names = {}
    for attr in node.attrib:
        ns = etree.QName(attr).namespace
        if ns and ns not in (BPMN, SPIFF) and ns not in DECORATION_NS:
            names.setdefault(ns, []).append(prefixed(node, attr))
    ext = node.find("bpmn:extensionElements", NS)
    for child in (ext if ext is not None else ()):
        ns = etree.QName(child).namespace if isinstance(child.tag, str) else None
        if ns and ns not in (BPMN, SPIFF) and ns not in DECORATION_NS:
            names.setdefault(ns, []).append(prefixed(child, child.tag))
    for ns, found in names.items():
        vendor = FOREIGN_ENGINES.get(ns)
        source = f"{vendor} extensions" if vendor else f"extensions of namespace {ns}"
        v.report.warning(node, f"{source} are ignored by this engine: {', '.join(sorted(set(found)))}")


@common
def data_associations(v, node, scope):
    """Data flows in and out through data object references; other mappings are not run."""
    for kind, end in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef")):
        for assoc in node.findall(f"bpmn:{kind}", NS):
            for ref in assoc.findall(f"bpmn:{end}", NS):
                target = v.ids.get((ref.text or "").strip())
                if target is None or local(target) != "dataObjectReference":
                    v.report.error(node, f"its {kind} {end} {(ref.text or '').strip()!r} must name a "
                                         "bpmn:dataObjectReference", line=ref.sourceline)
            ignored = [local(c) for c in assoc if isinstance(c.tag, str) and local(c) in ("transformation", "assignment")]
            if ignored:
                v.report.warning(node, f"the {', '.join(ignored)} of its {kind} is ignored by this engine")


@common
def safe_scripts(v, node, scope):
    for name in ("preScript", "postScript"):
        script = spiff_text(node, name)
        if script is not None:
            v.expression(node, script.text, "exec", f"the {name}", at=script)


@common
def message_expressions(v, node, scope):
    """What a message throw evaluates: its payload and correlation expressions, written on its
    messageEventDefinition (or on a send task with a messageRef), as SpiffArena does."""
    holders = node.findall("bpmn:messageEventDefinition", NS)
    if local(node) in ("sendTask", "receiveTask") and node.get("messageRef") is not None:
        holders.append(node)
    for holder in holders:
        for expr in holder.iterfind(".//spiffworkflow:messagePayload", NS):
            if (expr.text or "").strip():
                v.expression(node, expr.text, "eval", "the message payload", at=expr)
        for expr in holder.iterfind(".//spiffworkflow:processVariableCorrelation/spiffworkflow:expression", NS):
            if (expr.text or "").strip():
                v.expression(node, expr.text, "eval", "the correlation expression", at=expr)


# --- events ----------------------------------------------------------------------------------

@element(*EVENTS)
def event_definition(v, node, scope):
    name = local(node)
    kinds = event_kinds(node)
    if len(kinds) > 1:
        v.report.error(node, f"several event definitions ({', '.join(kinds)}) on one event are not supported")
        return
    definition = kinds[0] if kinds else "none"
    key = name
    if name == "startEvent" and scope.kind == "event_subprocess":
        key = "event_subprocess_start"
    elif name == "startEvent" and scope.kind == "subprocess":
        key = "subprocess_start"
    if definition not in ALLOWED_DEFS[key]:
        where = " in an event sub-process" if key == "event_subprocess_start" else \
            " in a sub-process" if key == "subprocess_start" else ""
        v.report.error(node, f"a {definition} event definition is not supported on {name}{where}")
        return
    check = DEFINITION_KINDS.get(definition)
    if check is not None:
        check(v, node, scope)


def _timer(v, node, scope):
    timer = node.find("bpmn:timerEventDefinition", NS)
    expr = next((e for e in (timer.find(f"bpmn:{kind}", NS) for kind in ("timeDuration", "timeDate", "timeCycle"))
                 if e is not None), None)
    if expr is None or not (expr.text or "").strip():
        v.report.error(node, "a timer needs a timeDuration, a timeDate or a timeCycle")
        return
    text = expr.text.strip()
    if not (ISO_CHECK.match(text) or REPEATING.match(text)):     # a literal, else a Python expression
        v.expression(node, expr.text, "eval", "the timer expression", at=expr)


def _message(v, node, scope):
    ref = node.find("bpmn:messageEventDefinition", NS).get("messageRef")
    msg = v.ids.get(ref)
    if msg is None or local(msg) != "message" or not msg.get("name"):
        v.report.error(node, f"its messageRef {ref!r} must name a bpmn:message that has a name")


def _error(v, node, scope):
    ref = node.find("bpmn:errorEventDefinition", NS).get("errorRef")
    target = v.ids.get(ref)
    if ref is not None and (target is None or local(target) != "error"):
        v.report.error(node, f"its errorRef {ref!r} is not a bpmn:error")
    elif local(node) == "endEvent" and (target is None or not target.get("errorCode")):
        v.report.error(node, "an error end event needs an errorRef to a bpmn:error with an errorCode")


def _compensate(v, node, scope):
    if local(node) == "boundaryEvent":
        handler = v.associated(node)
        if handler is None or handler.get("isForCompensation") != "true":
            v.report.error(node, "a compensation boundary event needs an association to an activity "
                                 "with isForCompensation=\"true\" (its compensation handler)")
        elif handler.getparent() is not scope.node:
            v.report.error(handler, "a compensation handler must be in the same scope as the "
                                    "activity it compensates")
        return
    ref = node.find("bpmn:compensateEventDefinition", NS).get("activityRef")
    if ref is None:
        return
    compensated = scope.node.getparent() if scope.kind == "event_subprocess" else scope.node
    target = v.ids.get(ref)
    if target is None or target.getparent() is not compensated or local(target) not in ACTIVITIES:
        v.report.error(node, f"its activityRef {ref!r} must be an activity of the scope it compensates")


DEFINITION_KINDS = {"timer": _timer, "message": _message, "error": _error, "compensate": _compensate}


# --- activities ------------------------------------------------------------------------------

@element(*ACTIVITIES)
def compensation_handler(v, node, scope):
    if node.get("isForCompensation") != "true" or triggered_by_event(node):
        return      # (Camunda marks a compensation event sub-process isForCompensation too)
    if local(node) not in HANDLER_TYPES:
        v.report.error(node, f"a compensation handler must be one of: {', '.join(sorted(HANDLER_TYPES))}")
    boundary = v.associated(node)
    if boundary is None or local(boundary) != "boundaryEvent" or not is_compensate_event(boundary):
        v.report.error(node, "a compensation handler must be associated with a compensation boundary "
                             "event on the activity it undoes")


@element("serviceTask")
def service_binding(v, node, scope):
    operator = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
    if operator is None or not operator.get("id"):
        v.report.binding(node, "a service task needs a handler: "
                               "<spiffworkflow:serviceTaskOperator id=\"<handler name>\"/>")
    elif operator.get("id") not in v.handlers:
        v.report.binding(node, f"the application has no handler named {operator.get('id')!r}")
    for param in (operator.findall(".//spiffworkflow:parameter", NS) if operator is not None else ()):
        if param.get("value") is not None:
            v.expression(node, param.get("value"), "eval", f"parameter {param.get('id')!r}", at=param)
    props = properties(node)
    for key, cast in (("retry.max_attempts", int), ("retry.base_s", float)):
        if key in props:
            try:
                cast(props[key])
            except (TypeError, ValueError):
                v.report.error(node, f"property {key} must be a number, not {props[key]!r}")


@element("userTask")
def user_form(v, node, scope):
    if v.forms_dir is None:
        return
    form = properties(node).get("formJsonSchemaFilename")
    if not form:
        v.report.binding(node, "a user task needs a form: extension property formJsonSchemaFilename")
        return
    path = v.forms_dir / form
    if Path(form).name != form or not path.is_file():
        v.report.binding(node, f"the form {form!r} does not exist")
        return
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        v.report.binding(node, f"the form {form!r} is not valid JSON: {exc}")


@element("scriptTask")
def script_source(v, node, scope):
    script = node.find("bpmn:script", NS)
    if script is None or not (script.text or "").strip():
        v.report.error(node, "a script task needs a script")
    elif is_python(v, node, node.get("scriptFormat"), node):
        v.expression(node, script.text, "exec", "the script", at=script)


# --- definitions (messages, errors, ...) ------------------------------------------------------

@definition(*REFERENCED_DEFINITIONS)
def has_id(v, node):
    if not node.get("id"):
        v.report.error(node, f"every {local(node)} needs an id{named(node)}")


@definition("error", "escalation", "signal")
def payload_expression(v, node):
    expr = spiff_text(node, "payloadExpression")
    if expr is not None:
        v.expression(node, expr.text, "eval", "the payload expression", at=expr)


@definition("message")
def message_payload(v, node):
    expr = spiff_text(node, "messagePayload")
    if expr is not None:
        v.expression(node, expr.text, "eval", "the message payload", at=expr)
