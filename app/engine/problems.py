"""Problems found in a model: each names the element, its line in the XML, and what is wrong."""
from dataclasses import asdict, dataclass

from lxml import etree

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    element_id: str | None
    element_type: str | None
    line: int | None
    severity: str                   # "error" | "warning"
    message: str                    # for an analyst: what is wrong and, where it helps, what to do
    file: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        what = f"{self.element_type} '{self.element_id}'" if self.element_id else (self.element_type or "model")
        where = ", ".join(p for p in (self.file and f"file {self.file}",
                                      self.line and f"line {self.line}") if p)
        return f"{what}: {self.message}" + (f" ({where})" if where else "")


def element_type(node) -> str:
    return etree.QName(node).localname


class Report:
    """Collects problems while a model is checked.

    `binding` problems (a service task without a known handler, a user task without its form)
    are errors for a deployment and warnings for a simulation, which runs without them."""

    def __init__(self, bindings_required: bool = True):
        self.bindings_required = bindings_required
        self.problems: list[Problem] = []
        self.file: str | None = None

    def add(self, node, severity: str, message: str, line: int | None = None) -> None:
        self.problems.append(Problem(
            element_id=node.get("id") if node is not None else None,
            element_type=element_type(node) if node is not None else None,
            line=line if line is not None else (node.sourceline if node is not None else None),
            severity=severity, message=message, file=self.file))

    def error(self, node, message: str, line: int | None = None) -> None:
        self.add(node, ERROR, message, line)

    def warning(self, node, message: str) -> None:
        self.add(node, WARNING, message)

    def binding(self, node, message: str) -> None:
        if self.bindings_required:
            self.error(node, message)
        else:
            self.warning(node, message + "; simulated without it")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]
