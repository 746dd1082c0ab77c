"""The paths through the deployed order model, read from its BPMN (not written by hand).

A path is the list of what happens to one order from the start event to an end event: service
tasks (with their handlers), user tasks, the branch taken at each gateway (variable and value,
read from the condition), boundary events and message catches that fire, the end's status.
Every path is enumerated; the shortest ones are kept that together take every gateway branch,
boundary event and catch at least once.
Boundary events fire at most once per path (the signing loop would be endless otherwise).
"""
import ast
from dataclasses import dataclass, field

from lxml import etree

from app.engine.bpmn_xml import NS, local


@dataclass(frozen=True)
class Step:
    kind: str                 # service | user | choose | boundary | catch | end
    id: str                   # element id (for choose: the gateway)
    process: str = ""
    handler: str = ""         # service: the handler; boundary/catch: the event definition kind
    var: str = ""             # choose: the variable; boundary/catch: message name or error code
    value: object = None      # choose: the value taken
    status: str | None = None  # user, catch, end: the `status` property
    lane: str | None = None
    attached_to: str = ""     # boundary: the activity
    interrupting: bool = True


@dataclass
class Path:
    steps: list[Step]
    covers: set = field(default_factory=set)

    @property
    def end(self) -> Step:
        return self.steps[-1]

    def services(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "service"]

    def chosen(self, var: str):
        return next((s.value for s in self.steps if s.kind == "choose" and s.var == var), None)


def _props(node) -> dict:
    return {p.get("name"): p.get("value")
            for p in node.findall("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}


def condition_values(text: str) -> tuple[str, list]:
    """`x == "a"` or `x in ("a", "b")` -> ("x", ["a", ...]). Other conditions are not supported:
    the generator says so rather than guessing."""
    tree = ast.parse(text.strip(), mode="eval").body
    if isinstance(tree, ast.Compare) and len(tree.ops) == 1 and isinstance(tree.left, ast.Name):
        right = tree.comparators[0]
        if isinstance(tree.ops[0], ast.Eq) and isinstance(right, ast.Constant):
            return tree.left.id, [right.value]
        if isinstance(tree.ops[0], ast.In) and isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            return tree.left.id, [ast.literal_eval(e) for e in right.elts]
    raise ValueError(f"condition {text!r}: the path generator reads `var == value` and `var in (...)`")


class ModelGraph:
    """The flow of every process in the model's files."""

    def __init__(self, files: dict[str, bytes | str], main: str):
        self.main = main
        self.nodes: dict[str, etree._Element] = {}
        self.process_of: dict[str, str] = {}
        self.starts: dict[str, str] = {}
        self.flows: dict[str, list[tuple[str, str | None]]] = {}
        self.boundaries: dict[str, list] = {}
        self.compensation: dict[str, str] = {}       # activity id -> handler of its undo
        self.event_subprocess_ends: dict[str, str] = {}  # start kind:name -> end status
        self.throw_statuses: dict[str, str] = {}
        self.messages: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        for content in files.values():
            root = etree.fromstring(content.encode() if isinstance(content, str) else content)
            self.messages.update({m.get("id"): m.get("name") for m in root.findall("bpmn:message", NS)})
            self.errors.update({e.get("id"): e.get("errorCode") for e in root.findall("bpmn:error", NS)})
            for process in root.findall("bpmn:process", NS):
                self._read(process, process.get("id"))

    def _read(self, scope, process: str) -> None:
        handlers_of = {}
        for node in scope:
            kind = local(node) if isinstance(node.tag, str) else ""
            node_id = node.get("id")
            if kind == "sequenceFlow":
                cond = node.find("bpmn:conditionExpression", NS)
                self.flows.setdefault(node.get("sourceRef"), []).append(
                    (node.get("targetRef"), cond.text if cond is not None else None))
            elif kind == "association":
                handlers_of[node.get("sourceRef")] = node.get("targetRef")
            elif kind == "subProcess" and node.get("triggeredByEvent") == "true":
                self._read_event_subprocess(node)
            elif kind == "boundaryEvent":
                if node.find("bpmn:compensateEventDefinition", NS) is not None:
                    handlers_of.setdefault("@" + node.get("attachedToRef"), node_id)
                else:
                    self.boundaries.setdefault(node.get("attachedToRef"), []).append(node)
                self.nodes[node_id] = node
            elif node_id and kind not in ("laneSet", "documentation", "extensionElements"):
                self.nodes[node_id] = node
                self.process_of[node_id] = process
                if kind == "startEvent":
                    self.starts[process] = node_id
        for key, boundary_id in list(handlers_of.items()):
            if key.startswith("@") and boundary_id in handlers_of:
                handler = self.nodes[handlers_of[boundary_id]]
                self.compensation[key[1:]] = self._operator(handler)

    def _read_event_subprocess(self, sub) -> None:
        start = sub.find("bpmn:startEvent", NS)
        trigger = self._definition(start)
        end = next((n for n in sub.findall("bpmn:endEvent", NS) if _props(n).get("status")), None)
        self.event_subprocess_ends[trigger] = _props(end).get("status") if end is not None else None
        for throw in sub.findall("bpmn:intermediateThrowEvent", NS):
            if throw.find("bpmn:compensateEventDefinition", NS) is not None:
                self.throw_statuses[trigger] = _props(throw).get("status")

    def _definition(self, event) -> str:
        """kind:name of an event's definition (message:cancel_order, error:step_failed, timer:...)."""
        for kind in ("message", "error", "timer"):
            d = event.find(f"bpmn:{kind}EventDefinition", NS)
            if d is not None:
                if kind == "message":
                    return f"message:{self.messages.get(d.get('messageRef'), d.get('messageRef'))}"
                if kind == "error":
                    return f"error:{self.errors.get(d.get('errorRef'), d.get('errorRef'))}"
                return "timer:" + (event.get("id") or "")
        return "none:"

    @staticmethod
    def _operator(node) -> str:
        op = node.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        return op.get("id") if op is not None else ""

    def step_of(self, node_id: str) -> Step:
        node = self.nodes[node_id]
        kind, props = local(node), _props(node)
        process = self.process_of.get(node_id, "")
        if kind == "serviceTask":
            return Step("service", node_id, process, handler=self._operator(node))
        if kind == "userTask":
            return Step("user", node_id, process, status=props.get("status"), lane=props.get("lane"))
        if kind == "endEvent":
            return Step("end", node_id, process, status=props.get("status"))
        if kind == "intermediateCatchEvent":
            definition = self._definition(node)
            return Step("catch", node_id, process, handler=definition.split(":")[0],
                        var=definition.split(":", 1)[1], status=props.get("status"))
        raise ValueError(f"the path generator does not know {kind} {node_id!r}")

    # --- paths ------------------------------------------------------------------------------
    def paths(self) -> list[Path]:
        """The shortest paths that together cover every branch (greedy, shortest first; ties
        in depth-first order, which takes the plain way before boundary events)."""
        every = [Path(steps, {(s.kind, s.id, s.var, repr(s.value)) for s in steps})
                 for steps in self._walk(self.starts[self.main], [], {}, frozenset())]
        kept, covered = [], set()
        for path in sorted(every, key=lambda p: len(p.steps)):
            if path.covers - covered:
                kept.append(path)
                covered |= path.covers
        return kept

    def _walk(self, node_id, steps, bound, fired, returns=()):
        """Depth first from node_id; yields complete step lists. `bound`: gateway variables
        already chosen (a later gateway on the same variable must agree); `fired`: boundary
        events already taken; `returns`: where to go on when a called process ends."""
        node = self.nodes[node_id]
        kind = local(node)
        if kind == "startEvent":
            for target, _ in self.flows.get(node_id, []):
                yield from self._walk(target, steps, bound, fired, returns)
        elif kind == "endEvent":
            if returns:
                yield from self._next(returns[-1], steps, bound, fired, returns[:-1])
            else:
                yield steps + [self.step_of(node_id)]
        elif kind == "callActivity":
            called = node.get("calledElement")
            yield from self._walk(self.starts[called], steps, bound, fired, returns + (node_id,))
        elif kind == "exclusiveGateway":
            for target, cond in self.flows.get(node_id, []):
                if cond is None:
                    yield from self._walk(target, steps, bound, fired, returns)
                    continue
                var, values = condition_values(cond)
                for value in values:
                    if var in bound and bound[var] != value:
                        continue
                    choice = Step("choose", node_id, self.process_of[node_id], var=var, value=value)
                    yield from self._walk(target, steps + [choice], {**bound, var: value}, fired, returns)
        elif kind in ("serviceTask", "userTask", "intermediateCatchEvent"):
            here = steps + [self.step_of(node_id)]
            yield from self._next(node_id, here, bound, fired, returns)  # the plain way first
            for boundary in self.boundaries.get(node_id, []):
                if boundary.get("id") in fired:
                    continue
                definition = self._definition(boundary)
                b = Step("boundary", boundary.get("id"), self.process_of[node_id],
                         handler=definition.split(":")[0], var=definition.split(":", 1)[1],
                         attached_to=node_id, interrupting=boundary.get("cancelActivity") != "false")
                taken = fired | {boundary.get("id")}
                if b.interrupting:   # the activity is left through the boundary event
                    for target, _ in self.flows.get(boundary.get("id"), []):
                        yield from self._walk(target, here + [b], bound, taken, returns)
                else:                # its branch runs while the activity stays
                    branch = self._branch(boundary.get("id"))
                    yield from self._next(node_id, here + [b] + branch, bound, taken, returns)
        else:
            raise ValueError(f"the path generator does not know {kind} {node_id!r}")

    def _next(self, node_id, steps, bound, fired, returns):
        for target, _ in self.flows.get(node_id, []):
            yield from self._walk(target, steps, bound, fired, returns)

    def _branch(self, boundary_id) -> list[Step]:
        """The straight branch of a non-interrupting boundary event, up to its end."""
        out, node_id = [], self.flows[boundary_id][0][0]
        while local(self.nodes[node_id]) != "endEvent":
            out.append(self.step_of(node_id))
            node_id = self.flows[node_id][0][0]
        return out
