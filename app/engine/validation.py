"""Deploy-time validation: a whitelist of the BPMN we really execute, every problem at once.

SpiffWorkflow 3.2.0 silently misreads much of what it does not support (elements without id are
dropped, unknown event definitions become none-events, ...), so anything not in the tables of
bpmn_xml.py is refused, each problem naming the element id, type and line. The checks of single
elements are small functions in checks/, registered by element type.
"""
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from . import checks
from .bpmn_files import BpmnFile, elements, load
from .bpmn_xml import (
    BPMN, CONNECTORS, FLOW_NODES, NODE_PARTS, NS, PASSIVE, REFUSED, ROOT_ALLOWED, SUBPROCESSES,
    is_executable, local,
)
from .problems import ERROR, Problem, Report
from .script_env import check_source


@dataclass
class Validation:
    problems: list[Problem]
    processes: list[str]            # executable processes, in file order
    entry_points: list[str]         # executable processes no other process of the files calls
    files: list[BpmnFile] = field(repr=False)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    def contents(self) -> dict[str, bytes]:
        """The XML as the engine parses it (ids synthesised), by file name."""
        return {f.name: f.content for f in self.files}

    def elements(self) -> list[dict]:
        return elements(self.files)

    def process_ids(self) -> list[str]:
        """Every process of the files, executable or not."""
        return [p.get("id") for f in self.files for p in f.root.findall("bpmn:process", NS)]


@dataclass
class Scope:
    """A process or sub-process being checked, with its flow elements indexed."""
    node: object
    kind: str                       # "process" | "subprocess" | "event_subprocess"
    children: list
    ids: dict
    incoming: dict
    outgoing: dict


class Validator:
    def __init__(self, report: Report, handler_names, forms_dir):
        self.report = report
        self.handlers = set(handler_names)
        self.forms_dir = Path(forms_dir) if forms_dir is not None else None
        self.processes = {}         # process id -> node, across files
        self.ids = {}               # element id -> node, in the file being checked
        self.root = None

    # --- the bundle -------------------------------------------------------------------------
    def run(self, files: list[BpmnFile], main: str | None) -> tuple[list[str], list[str]]:
        ids_by_file = {f.name: self.index(f) for f in files}
        calls = {pid: {c.get("calledElement") for c in node.iter(f"{{{BPMN}}}callActivity")}
                 for pid, node in self.processes.items()}
        called = set().union(*calls.values()) if calls else set()
        executable = [pid for pid, node in self.processes.items() if is_executable(node)]
        entry_points = [pid for pid in executable if pid not in called]
        targets = self.targets(main, executable, calls, files)
        for f in files:
            self.report.file, self.root, self.ids = f.name, f.root, ids_by_file[f.name]
            self.check_definitions(f.root)
            for process in f.root.findall("bpmn:process", NS):
                if process.get("id") in targets:
                    self.check_process(process)
                elif not is_executable(process):
                    self.report.warning(process, "the process is not executable (isExecutable=\"false\"), "
                                                 "so the engine ignores it")
                elif main is not None:
                    self.report.warning(process, f"process '{main}' does not call this process, so it is "
                                                 "not deployed with it")
        self.report.file = None
        return executable, entry_points

    def index(self, f: BpmnFile) -> dict:
        self.report.file = f.name
        ids = {}
        if local(f.root) != "definitions" or etree.QName(f.root).namespace != BPMN:
            self.report.error(f.root, "the root element of a BPMN file must be bpmn:definitions")
            return ids
        for node in f.root.iter():
            if isinstance(node.tag, str) and node.get("id") and etree.QName(node).namespace == BPMN:
                if node.get("id") in ids:
                    self.report.error(node, f"the id '{node.get('id')}' is used twice in this file "
                                            f"(first on line {ids[node.get('id')].sourceline})")
                    continue
                ids[node.get("id")] = node
        for process in f.root.findall("bpmn:process", NS):
            if process.get("id") in self.processes:
                self.report.error(process, "a process with this id is defined in two files")
                continue
            self.processes[process.get("id")] = process
        return ids

    def targets(self, main, executable, calls, files) -> set:
        """The processes to check: the main one and what it calls (or, without a main process,
        every executable one and what they call)."""
        if main is not None:
            if main not in self.processes:
                self.report.error(None, f"process '{main}' not found in {', '.join(f.name for f in files)}")
                return set()
            if not is_executable(self.processes[main]):
                self.report.file = self.file_of(main, files)
                self.report.error(self.processes[main], "the process is not executable: set "
                                                        "isExecutable=\"true\" on it to deploy or run it")
            todo = [main]
        else:
            if not executable and files:
                self.report.error(None, "no executable process in the files: set isExecutable=\"true\" "
                                        "on the process to run")
            todo = list(executable)
        seen = set()
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in self.processes:
                continue
            seen.add(pid)
            todo.extend(calls.get(pid, ()))
        return seen

    @staticmethod
    def file_of(pid, files):
        return next((f.name for f in files if f.root.find(f"bpmn:process[@id='{pid}']", NS) is not None), None)

    def check_definitions(self, root):
        for child in root:
            if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN:
                continue
            if local(child) not in ROOT_ALLOWED:
                self.report.error(child, f"{local(child)} is not supported by the engine")
            for check in checks.DEFINITION_CHECKS.get(local(child), ()):
                check(self, child)

    # --- processes and sub-processes --------------------------------------------------------
    def check_process(self, process):
        for check in checks.COMMON_CHECKS:
            check(self, process, None)
        self.check_scope(process, "process")

    def check_scope(self, container, kind: str):
        scope = self.scope(container, kind)
        for check in checks.SCOPE_CHECKS:
            check(self, scope)
        for node in scope.children:
            name = local(node)
            if name in PASSIVE or name in NODE_PARTS:
                continue
            if name not in FLOW_NODES and name not in CONNECTORS:
                self.report.error(node, REFUSED.get(name, f"{name} is not supported by the engine"))
                continue
            if not node.get("id"):
                self.report.error(node, f"every {name} needs an id{checks.named(node)}")
                continue
            for check in (*checks.COMMON_CHECKS, *checks.ELEMENT_CHECKS.get(name, ())):
                check(self, node, scope)
            if name in SUBPROCESSES:
                self.check_scope(node, "event_subprocess" if checks.triggered_by_event(node) else "subprocess")

    def scope(self, container, kind) -> Scope:
        children, foreign = [], []
        for c in container:
            if isinstance(c.tag, str):
                (children if etree.QName(c).namespace == BPMN else foreign).append(c)
        for c in foreign:
            if local(c) != "extensionElements":
                self.report.warning(c, "this element is not BPMN; the engine ignores it")
        ids = {c.get("id"): c for c in children if c.get("id")}
        incoming, outgoing = {}, {}
        for c in children:
            if local(c) == "sequenceFlow":
                outgoing.setdefault(c.get("sourceRef"), []).append(c)
                incoming.setdefault(c.get("targetRef"), []).append(c)
        return Scope(container, kind, children, ids, incoming, outgoing)

    # --- helpers for the checks -------------------------------------------------------------
    def expression(self, node, source: str, mode: str, what: str, at=None) -> None:
        """Report an expression that may not run in the engine's restricted environment."""
        try:
            check_source(source, mode)
        except Exception as exc:    # SyntaxError, or the sandbox's refusal: both are the model's
            self.report.error(node, f"{what} {source.strip()!r} cannot run: {exc}",
                              line=at.sourceline if at is not None else None)

    def associated(self, node):
        """The element an association connects to `node` (either direction), in the same file."""
        for assoc in self.root.iter(f"{{{BPMN}}}association"):
            other = None
            if assoc.get("sourceRef") == node.get("id"):
                other = assoc.get("targetRef")
            elif assoc.get("targetRef") == node.get("id"):
                other = assoc.get("sourceRef")
            if other is not None and other in self.ids:
                return self.ids[other]
        return None


def validate(files: dict, main_process_id: str | None, handler_names, forms_dir,
             bindings_required: bool = True) -> Validation:
    """Every problem of a bundle of BPMN files at once (nothing is raised).

    main_process_id None checks every executable process (and what they call)."""
    report = Report(bindings_required)
    loaded = load(files, report)
    processes, entry_points = Validator(report, handler_names, forms_dir).run(loaded, main_process_id)
    return Validation(report.problems, processes, entry_points, loaded)
