"""The checks of single BPMN elements, registered by element type (see validation.Validator).

Each check is `check(validator, node, scope)`, reports through `validator.report` and never
raises, so one run finds every problem. Register a new check with @element("type", ...).
"""
import json
from pathlib import Path

from lxml import etree

from .bpmn_xml import (
    ACTIVITIES, ALLOWED_DEFS, BPMN, DECORATION_NS, ENTRY_NODES, EVENT_GATEWAY_TARGETS, EVENTS,
    EXIT_NODES, FLOW_NODES, FOREIGN_ENGINES, HANDLER_TYPES, LOOP_BREAKERS, LOOPS, NS, PYTHON_LANGUAGES,
    REFERENCED_DEFINITIONS, RESERVED_IDS, SPIFF, SPLITTING_NODES, event_kinds, is_executable, local,
    properties,
)
from .parser import is_compensate_event
from .script_env import ISO_CHECK

COMMON_CHECKS = []          # run on every flow element (and on each process)
ELEMENT_CHECKS = {}         # element type -> checks
DEFINITION_CHECKS = {}      # children of bpmn:definitions (message, error, ...) -> checks
SCOPE_CHECKS = []           # run on each process and sub-process, with its Scope


def _registrar(table):
    def for_types(*types):
        def register(fn):
            for name in types:
                table.setdefault(name, []).append(fn)
            return fn
        return register
    return for_types


element = _registrar(ELEMENT_CHECKS)           # @element("serviceTask"): a check of that type
definition = _registrar(DEFINITION_CHECKS)     # @definition("error"): of a bpmn:definitions child


def common(fn):
    COMMON_CHECKS.append(fn)
    return fn


def scope_check(fn):
    SCOPE_CHECKS.append(fn)
    return fn


def triggered_by_event(node) -> bool:
    return node.get("triggeredByEvent") == "true"


def _spiff_text(node, name):
    found = node.find(f"bpmn:extensionElements/spiffworkflow:{name}", NS)
    return found if found is not None and (found.text or "").strip() else None


# --- every element ---------------------------------------------------------------------------

@common
def foreign_extensions(v, node, scope):
    """Other engines' attributes and extension elements change nothing here: say so."""
    names = {}
    for attr in node.attrib:
        ns = etree.QName(attr).namespace
        if ns and ns not in (BPMN, SPIFF) and ns not in DECORATION_NS:
            names.setdefault(ns, []).append(_prefixed(node, attr))
    ext = node.find("bpmn:extensionElements", NS)
    for child in (ext if ext is not None else ()):
        ns = etree.QName(child).namespace if isinstance(child.tag, str) else None
        if ns and ns not in (BPMN, SPIFF) and ns not in DECORATION_NS:
            names.setdefault(ns, []).append(_prefixed(child, child.tag))
    for ns, found in names.items():
        vendor = FOREIGN_ENGINES.get(ns)
        source = f"{vendor} extensions" if vendor else f"extensions of namespace {ns}"
        v.report.warning(node, f"{source} are ignored by this engine: {', '.join(sorted(set(found)))}")


def _prefixed(node, tag):
    qname = etree.QName(tag)
    prefix = next((p for p, uri in node.nsmap.items() if uri == qname.namespace and p), None)
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


@common
def not_reserved(v, node, scope):
    if node.get("id") in RESERVED_IDS:
        v.report.error(node, f"the id '{node.get('id')}' is reserved by the engine for its own steps: "
                             "choose another id")


@common
def no_loops(v, node, scope):
    for child in node:
        if isinstance(child.tag, str) and local(child) in LOOPS:
            v.report.error(node, f"{local(child)} (a loop or multi-instance marker) is not supported",
                           line=child.sourceline)


@common
def connected(v, node, scope):
    """Sequence flows in and out, as the element's kind needs them."""
    name = local(node)
    if scope is None or name not in FLOW_NODES:
        return
    if node.get("isForCompensation") == "true" or (name == "subProcess" and triggered_by_event(node)):
        if scope.incoming.get(node.get("id")) or scope.outgoing.get(node.get("id")):
            what = "a compensation handler" if name != "subProcess" else "an event sub-process"
            v.report.error(node, f"{what} must not have sequence flows")
        return
    incoming = scope.incoming.get(node.get("id"), [])
    outgoing = scope.outgoing.get(node.get("id"), [])
    if name in ENTRY_NODES:
        if incoming:
            v.report.error(node, f"a {name} cannot have incoming sequence flows")
    elif not incoming:
        v.report.error(node, "is not connected: no sequence flow leads to it, so it never runs"
                       if outgoing else "is not connected: no sequence flow leads to it or from it")
        return
    if name in EXIT_NODES:
        if outgoing:
            v.report.error(node, f"an {name} cannot have outgoing sequence flows")
    elif len(outgoing) > 1 and name not in SPLITTING_NODES:
        v.report.error(node, f"several outgoing sequence flows ({', '.join(f.get('id') for f in outgoing)}) "
                             "are not supported here: split the path with a gateway after it")
    elif not outgoing and not (name == "boundaryEvent" and is_compensate_event(node)):
        v.report.warning(node, "has no outgoing sequence flow: the path ends here "
                               "(an end event makes that explicit)")


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
        script = _spiff_text(node, name)
        if script is not None:
            v.expression(node, script.text, "exec", f"the {name}", at=script)


# --- scopes ---------------------------------------------------------------------------------

@scope_check
def start_and_end(v, scope):
    starts = sum(local(c) == "startEvent" for c in scope.children)
    if scope.kind == "process":
        if not starts:
            v.report.error(scope.node, "a process needs a start event")
        return
    what = "an event sub-process" if scope.kind == "event_subprocess" else "a sub-process"
    if starts != 1:
        v.report.error(scope.node, f"{what} needs exactly one start event, not {starts}")
    if not any(local(c) == "endEvent" for c in scope.children):
        v.report.error(scope.node, f"{what} needs an end event")


@scope_check
def loops_have_a_choice(v, scope):
    """Report each loop of sequence flows that no gateway can leave (see LOOP_BREAKERS)."""
    kinds = {c.get("id"): local(c) for c in scope.children if c.get("id")}
    edges = {}
    for flows in scope.outgoing.values():
        for f in flows:
            source, target = f.get("sourceRef"), f.get("targetRef")
            if kinds.get(source) not in LOOP_BREAKERS and kinds.get(target) not in LOOP_BREAKERS:
                edges.setdefault(source, []).append(target)
    for cycle in _cycles(edges):
        first = min(cycle, key=lambda i: scope.ids[i].sourceline if i in scope.ids else 0)
        if first in scope.ids:
            v.report.error(scope.ids[first], "it is on a loop of sequence flows without an exclusive gateway "
                                             f"({' → '.join(cycle)}): the engine cannot run such a loop; let an "
                                             "exclusive gateway decide whether to go round again")


def _cycles(edges: dict) -> list[list[str]]:
    """The strongly connected components that contain a cycle (Tarjan's algorithm, iterative:
    a model may be larger than Python's recursion limit)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    for root in list(edges):
        if root in index:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            nxt = next(children, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    found.append(component[::-1])
    return found


# --- flows -----------------------------------------------------------------------------------

@element("sequenceFlow")
def flow_ends(v, node, scope):
    for ref in ("sourceRef", "targetRef"):
        if node.get(ref) not in scope.ids:
            v.report.error(node, f"its {ref} {node.get(ref)!r} is not an element of the same "
                                 f"{'process' if scope.kind == 'process' else 'sub-process'}")
    cond = node.find("bpmn:conditionExpression", NS)
    if cond is not None and (cond.text or "").strip() and _python(v, node, cond.get("language"), cond):
        v.expression(node, cond.text, "eval", "the condition", at=cond)


def _python(v, node, language, at) -> bool:
    if (language or "").strip().lower() in PYTHON_LANGUAGES:
        return True
    v.report.error(node, f"{language} is not supported: conditions and scripts are Python", line=at.sourceline)
    return False


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
    expr = timer.find("bpmn:timeDuration", NS)
    if expr is None:
        expr = timer.find("bpmn:timeDate", NS)
    if expr is None or not (expr.text or "").strip():
        v.report.error(node, "a timer needs a timeDuration or a timeDate (timeCycle is not supported)")
        return
    if not ISO_CHECK.match(expr.text.strip()):
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


@element("boundaryEvent")
def attached(v, node, scope):
    target = scope.ids.get(node.get("attachedToRef"))
    if target is None or local(target) not in ACTIVITIES:
        v.report.error(node, f"its attachedToRef {node.get('attachedToRef')!r} must be an activity "
                             "of the same scope")


# --- activities ------------------------------------------------------------------------------

@element(*ACTIVITIES)
def compensation_handler(v, node, scope):
    if node.get("isForCompensation") != "true":
        return
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
    elif _python(v, node, node.get("scriptFormat"), node):
        v.expression(node, script.text, "exec", "the script", at=script)


@element("subProcess")
def event_subprocess(v, node, scope):
    if not triggered_by_event(node):
        return
    if not (scope.kind == "process" and scope.is_main):
        v.report.error(node, "event sub-processes are supported only at the top level of the main process")


@element("eventBasedGateway")
def event_gateway_targets(v, node, scope):
    for flow in scope.outgoing.get(node.get("id"), []):
        target = scope.ids.get(flow.get("targetRef"))
        if target is not None and local(target) not in EVENT_GATEWAY_TARGETS:
            v.report.error(node, f"an event-based gateway may lead only to catch events, not to "
                                 f"{local(target)} '{target.get('id')}'", line=flow.sourceline)


@element("callActivity")
def called_process(v, node, scope):
    called = node.get("calledElement")
    process = v.processes.get(called)
    if process is None:
        v.report.error(node, f"it calls process {called!r}, which is in none of the files")
    elif not is_executable(process):
        v.report.error(node, f"it calls process {called!r}, which is not executable")


# --- definitions (messages, errors, ...) ------------------------------------------------------

@definition(*REFERENCED_DEFINITIONS)
def has_id(v, node):
    if not node.get("id"):
        v.report.error(node, f"every {local(node)} needs an id (this one is named {node.get('name')!r})")


@definition("error", "escalation", "signal")
def payload_expression(v, node):
    expr = _spiff_text(node, "payloadExpression")
    if expr is not None:
        v.expression(node, expr.text, "eval", "the payload expression", at=expr)


@definition("message")
def message_payload(v, node):
    expr = _spiff_text(node, "messagePayload")
    if expr is not None:
        v.expression(node, expr.text, "eval", "the message payload", at=expr)

