"""Exceptions raised by the engine facade."""


class EngineError(Exception):
    """Base class for engine errors."""


class ModelError(EngineError):
    """A BPMN model was refused at deploy time; the message names the element id and type."""


class UnhandledBpmnError(EngineError):
    """A BPMN error was thrown and no boundary event or event sub-process caught it."""

    def __init__(self, step: str, error_code: str, message: str):
        super().__init__(f"BPMN error {error_code!r} thrown by step {step!r} was not caught: {message}")
        self.step = step
        self.error_code = error_code
        self.message = message


class TaskNotFound(EngineError):
    """No task with that id is in the state the caller expects."""
