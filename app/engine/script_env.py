"""A restricted Python environment for conditions, timer expressions, params and scripts.

Analysts edit these expressions, so they run with a handful of harmless builtins and may not
touch names or attributes starting with an underscore (which closes the usual escapes such as
``().__class__.__bases__``). Compiled code is cached per expression string.
"""
import ast
import re
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

SAFE_BUILTINS = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "isinstance", "len",
        "list", "max", "min", "range", "round", "set", "sorted", "str", "sum", "tuple", "zip",
    )
}


class UnsafeExpression(ValueError):
    pass


def check_source(source: str, mode: str) -> None:
    """Raise SyntaxError or UnsafeExpression if the source may not run in our environment."""
    tree = ast.parse(source, mode=mode)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)):
            raise UnsafeExpression("imports and global statements are not allowed")
        name = getattr(node, "id", None) or getattr(node, "attr", None)
        if isinstance(name, str) and name.startswith("_"):
            raise UnsafeExpression(f"names starting with '_' are not allowed: {name}")


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str):
    check_source(source, mode)
    return compile(source, "<string>", mode)


class RestrictedEnvironment(TaskDataEnvironment):
    def __init__(self):
        super().__init__({"__builtins__": SAFE_BUILTINS})

    def evaluate(self, expression, context, external_context=None):
        scope = {"__builtins__": SAFE_BUILTINS}
        if external_context:
            scope.update(external_context)
        scope.update(context)
        return eval(_compile(expression, "eval"), scope)

    def execute(self, script, context, external_context=None):
        code = _compile(script, "exec")
        context.update(external_context or {})
        context["__builtins__"] = SAFE_BUILTINS
        try:
            exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


def make_script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment())


# bare ISO-8601 literals accepted as timer expressions without quotes (see specs.timer_value)
ISO_CHECK = re.compile(r"^(P[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}T[0-9:.+\-Z]+)$")
