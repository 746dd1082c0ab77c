"""The script engine SpiffWorkflow uses for conditions, timer expressions, params and scripts.

Everything runs in the sandbox of app/engine/sandbox (RestrictedPython with whitelisting
guards and a per-evaluation budget). Deploy-time validation calls check_source for every
expression and script; at run time a refused operation, an exceeded budget or any other error
fails the task with a message naming the element (the worker turns it into an incident).
"""
import re

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import sandbox
from .sandbox import Limits, SandboxError, UnsafeExpression

__all__ = ["check_source", "make_script_engine", "UnsafeExpression", "ScriptFailed", "Limits",
           "ISO_CHECK"]

MAX_MESSAGE = 300


def check_source(source: str, mode: str) -> None:
    """Raise SyntaxError or UnsafeExpression if the source may not run in our environment."""
    sandbox.compile_checked(source, mode)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, limits: Limits):
        super().__init__({})
        self.limits = limits

    def evaluate(self, expression, context, external_context=None):
        return sandbox.evaluate(expression, context, self.limits, external_context)

    def execute(self, script, context, external_context=None):
        sandbox.execute(script, context, self.limits, external_context)
        return True


class ScriptFailed(WorkflowTaskException):
    """An expression or script failed; the message names the element and the reason."""

    def __init__(self, where: str, what: str, error: Exception, task):
        self.reason = reason(error)
        super().__init__(f"{where}: {what} failed: {self.reason}", task=task, exception=error)

    def __str__(self):
        return "; ".join([self.args[0], *self.notes])


def element(task) -> str:
    """'script task 'x'', 'exclusive gateway 'gw'' ... from the task's spec."""
    spec = task.task_spec
    kind = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(spec).__name__).lower()
    kind = re.sub(r"^(deferred|escrow) ", "", kind)
    return f"{kind} '{spec.bpmn_id}'"


def reason(error: Exception) -> str:
    text = str(error) if isinstance(error, SandboxError) else f"{type(error).__name__}: {error}"
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "..."


def _quote(source: str) -> str:
    source = " ".join(source.split())
    return repr(source if len(source) <= 80 else source[:80] + "...")


class SandboxScriptEngine(PythonScriptEngine):
    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except Exception as error:
            raise ScriptFailed(element(task), f"expression {_quote(expression)}", error, task) from None

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context)
        except Exception as error:
            raise ScriptFailed(element(task), "script", error, task) from None


def make_script_engine(limits: Limits | None = None) -> PythonScriptEngine:
    return SandboxScriptEngine(environment=SandboxEnvironment(limits or Limits()))


# bare ISO-8601 literals accepted as timer expressions without quotes (see specs.timer_value)
ISO_CHECK = re.compile(r"^(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}T[0-9:.+\-Z]+)$")
