"""A sandbox for analysts' Python: conditions, timer expressions, parameters and scripts.

Built on RestrictedPython: the source is compiled with our policy (policy.py), which refuses
what can be known at deploy time and routes every attribute, item, iteration, operator and
call through guards (guards.py, builtins.py) that allow only listed operations on plain data
and charge a per-evaluation budget (budget.py). What the code can reach is what the guards
hand out, so frames, code objects, modules, files and the network are out of reach by
construction, not because their names are listed somewhere.
"""
import ast
from datetime import datetime, timedelta
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec

from . import guards
from .budget import Budget, LimitExceeded, Limits, Refused, SandboxError, running
from .builtins import SAFE_BUILTINS
from .policy import EscrowPolicy

__all__ = ["Limits", "SandboxError", "Refused", "LimitExceeded", "UnsafeExpression",
           "compile_checked", "evaluate", "execute"]


class UnsafeExpression(ValueError):
    """The source uses something the sandbox refuses (known before running it)."""


GUARDS = {
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": guards.getattr_, "_getitem_": guards.getitem_, "_write_": guards.write_,
    "_getiter_": guards.getiter_, "_iter_unpack_sequence_": guards.iter_unpack_sequence_,
    "_unpack_sequence_": guards.unpack_sequence_, "_inplacevar_": guards.inplacevar_,
    "_tick_": guards.tick_, "_binop_": guards.binop_, "_small_": guards.small_,
    "_new_": guards.new_,
}
_COMPILERS = {"eval": compile_restricted_eval, "exec": compile_restricted_exec}


MAX_SOURCE = 20_000     # characters of one expression or script


@lru_cache(maxsize=4096)
def compile_checked(source: str, mode: str):
    """Code for `source` ("eval" or "exec"); SyntaxError or UnsafeExpression if refused."""
    if mode == "eval":
        source = source.strip()
    if len(source) > MAX_SOURCE:
        raise UnsafeExpression(f"longer than {MAX_SOURCE} characters")
    try:
        tree = ast.parse(source, "<script>", mode)
        result = _COMPILERS[mode](tree, "<script>", policy=EscrowPolicy)
    except (RecursionError, MemoryError):
        raise UnsafeExpression("nested too deeply") from None
    if result.errors:
        raise UnsafeExpression("; ".join(result.errors))
    return result.code


def _scope(context: dict, external_context: dict | None) -> dict:
    scope = dict(external_context or {})
    scope.update(context)
    scope.update(GUARDS)    # last: task data can never replace a guard
    return scope


def evaluate(expression: str, context: dict, limits: Limits, external_context=None):
    """The value of `expression` over the task data `context` (not changed)."""
    code = compile_checked(expression, "eval")
    with running(Budget(limits)) as budget:
        value = eval(code, _scope(context, external_context))
        if budget.failure is not None:      # swallowed by the expression: still a failure
            budget.raise_failure()
        _check_data(budget, "the value", value, limits.max_value)
    return value


def execute(script: str, context: dict, limits: Limits, external_context=None) -> None:
    """Run `script` with the task data `context` as its variables; the variables it leaves
    (plain data only; its own functions are dropped) become the new task data."""
    code = compile_checked(script, "exec")
    scope = _scope(context, external_context)
    with running(Budget(limits)) as budget:
        exec(code, scope)
        if budget.failure is not None:
            budget.raise_failure()
        skip = set(GUARDS) | set(external_context or ())
        data = {k: v for k, v in scope.items() if k not in skip and not callable(v)}
        data.update((k, context[k]) for k in GUARDS if k in context)   # unreachable, kept
        room = limits.max_value     # stored with the order after every step: keep it small
        for name, value in data.items():
            room -= _check_data(budget, f"variable {name!r}", value, room)
    context.clear()
    context.update(data)


# what task data may hold (the workflow serializer stores datetime and timedelta as well)
_STORABLE = frozenset({str, int, float, bool, type(None), datetime, timedelta})


def _check_data(budget: Budget, what: str, value, limit: int) -> int:
    """Size of `value` if it is plain data (JSON types, datetime, timedelta; dict keys str)
    whose size, counting shared parts each time (as JSON would), stays within `limit`."""
    size, stack = 0, [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        size += 1
        if kind is dict:
            if not all(type(key) is str for key in item):
                budget.refuse(f"{what}: dict keys must be strings")
            size += len(item)
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is str:
            size += len(item)
        elif kind not in _STORABLE:
            budget.refuse(f"{what} holds a {kind.__name__}, which is not data")
        if size > limit:
            budget.fail(LimitExceeded(f"{what} is too large to store (over {limit} units)"))
    return size
