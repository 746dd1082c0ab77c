"""Exceptions raised by the engine facade."""
from .problems import ERROR, Problem


class EngineError(Exception):
    """Base class for engine errors; `element_id` names the model element at fault, if any."""

    def __init__(self, message: str = "", element_id: str | None = None):
        super().__init__(message)
        self.element_id = element_id


class ModelError(EngineError):
    """A BPMN model was refused. `problems` lists every problem found (errors and warnings),
    each naming the element id, type and line; the message joins the errors."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(None, None, None, ERROR, problems)]
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.errors) or "the model was refused")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]


class UnhandledBpmnError(EngineError):
    """A BPMN error was thrown and no boundary event or event sub-process caught it."""

    def __init__(self, step: str, error_code: str, message: str):
        super().__init__(f"BPMN error {error_code!r} thrown by step {step!r} was not caught: {message}")
        self.step = step
        self.error_code = error_code
        self.message = message


class TaskNotFound(EngineError):
    """No task with that id is in the state the caller expects."""
