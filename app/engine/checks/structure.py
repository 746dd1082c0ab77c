"""Checks of how elements connect: flows, scopes, loops, what leads where."""
from ..bpmn_xml import (
    ACTIVITIES, ENTRY_NODES, EVENT_GATEWAY_KINDS, EVENT_GATEWAY_TARGETS, EXIT_NODES, FLOW_NODES,
    LOOP_BREAKERS, LOOPS, NS, REFUSED, RESERVED_IDS, SPLITTING_NODES, SUBPROCESSES, event_kinds,
    is_executable, link_name, local,
)
from ..event_parsers import is_compensate_event
from . import common, element, is_python, scope_check, triggered_by_event


@common
def not_reserved(v, node, scope):
    if node.get("id") in RESERVED_IDS:
        v.report.error(node, f"the id '{node.get('id')}' is reserved by the engine for its own steps: "
                             "choose another id")


@common
def no_loops(v, node, scope):
    for child in node:
        if isinstance(child.tag, str) and local(child) in LOOPS:
            v.report.error(node, REFUSED[local(child)], line=child.sourceline)


@common
def connected(v, node, scope):
    """Sequence flows in and out, as the element's kind needs them."""
    name = local(node)
    if scope is None or name not in FLOW_NODES:
        return
    if node.get("isForCompensation") == "true" or (name in SUBPROCESSES and triggered_by_event(node)):
        if scope.incoming.get(node.get("id")) or scope.outgoing.get(node.get("id")):
            v.report.error(node, "an event sub-process must not have sequence flows (no incoming or outgoing: "
                                 "its start event's trigger starts it)" if triggered_by_event(node) else
                                 "a compensation handler must not have sequence flows (compensation runs it)")
        return
    incoming = scope.incoming.get(node.get("id"), [])
    outgoing = scope.outgoing.get(node.get("id"), [])
    link = "link" in event_kinds(node)      # a link catch event is entered by its throw event
    if name in ENTRY_NODES or (link and name == "intermediateCatchEvent"):
        if incoming:
            v.report.error(node, "a link catch event takes no incoming sequence flow (its link throw event "
                                 "leads to it)" if link else f"a {name} cannot have incoming sequence flows")
    elif not incoming:
        v.report.error(node, "is not connected: no sequence flow leads to it, so it never runs"
                       if outgoing else "is not connected: no sequence flow leads to it or from it")
        return
    if name in EXIT_NODES or (link and name == "intermediateThrowEvent"):
        if outgoing:
            what = "a link throw event" if link else f"an {name}"
            v.report.error(node, f"{what} cannot have outgoing sequence flows: it leads to its link catch event"
                           if link else f"{what} cannot have outgoing sequence flows")
    elif len(outgoing) > 1 and name not in SPLITTING_NODES:
        v.report.error(node, f"several outgoing sequence flows ({', '.join(f.get('id') for f in outgoing)}) "
                             "are not supported here: split the path with a gateway after it")
    elif not outgoing and not (name == "boundaryEvent" and is_compensate_event(node)):
        v.report.warning(node, "has no outgoing sequence flow: the path ends here "
                               "(an end event makes that explicit)")


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
    """Report each loop of sequence flows (and link events, which the engine follows as flows)
    that no gateway can leave (see LOOP_BREAKERS)."""
    kinds = {c.get("id"): local(c) for c in scope.children if c.get("id")}
    links = [(source, target) for source in scope.children if local(source) == "intermediateThrowEvent"
             for target in scope.children if local(target) == "intermediateCatchEvent"
             and link_name(source) is not None and link_name(source) == link_name(target)]
    edges = {}
    for source, target in [(f.get("sourceRef"), f.get("targetRef")) for flows in scope.outgoing.values()
                           for f in flows] + [(s.get("id"), t.get("id")) for s, t in links]:
        if kinds.get(source) not in LOOP_BREAKERS and kinds.get(target) not in LOOP_BREAKERS:
            edges.setdefault(source, []).append(target)
    for cycle in _cycles(edges):
        first = min(cycle, key=lambda i: scope.ids[i].sourceline if i in scope.ids else 0)
        if first in scope.ids:
            v.report.error(scope.ids[first], "it is on a loop of sequence flows without a gateway that chooses "
                                             f"({' → '.join(cycle)}): the engine cannot run such a loop; let an "
                                             "exclusive gateway (or an inclusive or event-based one) decide whether "
                                             "to go round again")


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
    if cond is not None and (cond.text or "").strip() and is_python(v, node, cond.get("language"), cond):
        v.expression(node, cond.text, "eval", "the condition", at=cond)


@element("boundaryEvent")
def attached(v, node, scope):
    target = scope.ids.get(node.get("attachedToRef"))
    if target is None or local(target) not in ACTIVITIES:
        v.report.error(node, f"its attachedToRef {node.get('attachedToRef')!r} must be an activity "
                             "of the same scope")


@element("eventBasedGateway")
def event_gateway_targets(v, node, scope):
    for flow in scope.outgoing.get(node.get("id"), []):
        target = scope.ids.get(flow.get("targetRef"))
        if target is None:
            continue
        if local(target) not in EVENT_GATEWAY_TARGETS or (local(target) == "intermediateCatchEvent" and
                                                          not set(event_kinds(target)) & EVENT_GATEWAY_KINDS):
            v.report.error(node, "an event-based gateway may lead only to message, timer or signal catch "
                                 f"events or receive tasks, not to {local(target)} '{target.get('id')}'",
                           line=flow.sourceline)


@element("callActivity")
def called_process(v, node, scope):
    called = node.get("calledElement")
    process = v.processes.get(called)
    if process is None:
        v.report.error(node, f"it calls process {called!r}, which is in none of the files")
    elif not is_executable(process):
        v.report.error(node, f"it calls process {called!r}, which is not executable")
