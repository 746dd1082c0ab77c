"""The cost budget of one evaluation: steps, wall-clock time and the size of new values.

Every loop iteration, iterated item, function call and guarded operation goes through the
budget of the evaluation running in the current thread. Sizes are counted in *units*: one
per character of a string, one per element of a container (and per key and value of a dict),
one per 64 bits of an integer. Once a limit is hit the evaluation is doomed: every later
guard raises again (a bare ``except:`` in the script cannot swallow it), and the environment
re-raises it at the end.
"""
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

INT_BITS = 10_000       # integers beyond ~3,000 decimal digits are refused (no money needs them)


class SandboxError(Exception):
    """An operation an analyst's expression or script may not do (at run time)."""


class Refused(SandboxError):
    pass


class LimitExceeded(SandboxError):
    pass


@dataclass(frozen=True)
class Limits:
    max_steps: int = 100_000        # loop iterations + items iterated + calls of own functions
    timeout_s: float = 1.0          # wall clock per evaluation
    max_value: int = 100_000        # units: the largest value read deeply or created
    max_alloc: int = 1_000_000      # units: all values created by one evaluation together


SCALARS = frozenset({str, int, float, bool, type(None), bytes, date, datetime, timedelta})
CONTAINERS = frozenset({list, tuple, set, frozenset, dict})
VALUES = SCALARS | CONTAINERS


def units(value) -> int:
    """Shallow size of a value (what creating it costs)."""
    kind = type(value)
    if kind is int:
        return value.bit_length() // 64 + 1
    if kind is dict:
        return 2 * len(value)
    if kind in CONTAINERS or kind is str or kind is bytes:
        return len(value)
    return 1


def deep_units(value, limit: int) -> int:
    """Size of a value with everything it contains, counting shared parts each time they are
    reached (as a comparison, hash, str() or JSON dump would). Stops once over `limit`."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        total += 1 + units(item)    # +1: walking even an empty container costs
        if total > limit:
            return total
        if kind is dict:
            stack.extend(item.keys())
            stack.extend(item.values())
        elif kind in CONTAINERS:
            stack.extend(item)
    return total


class Budget:
    __slots__ = ("limits", "steps", "deadline", "alloc", "failure")

    def __init__(self, limits: Limits):
        self.limits = limits
        self.steps = limits.max_steps
        self.deadline = time.monotonic() + limits.timeout_s
        self.alloc = limits.max_alloc
        self.failure: SandboxError | None = None

    def fail(self, error: SandboxError):
        if self.failure is None:
            self.failure = error
        self.raise_failure()

    def raise_failure(self):
        raise type(self.failure)(*self.failure.args)

    def tick(self, steps: int = 1) -> bool:
        if self.failure is not None:
            self.raise_failure()
        self.steps -= steps
        if self.steps < 0:
            self.fail(LimitExceeded(f"operation budget exceeded ({self.limits.max_steps} steps: "
                                    "loop iterations, items and function calls)"))
        if time.monotonic() > self.deadline:
            self.fail(LimitExceeded(f"time limit exceeded ({self.limits.timeout_s:g} s)"))
        return True

    def charge(self, size: int) -> None:
        """Account for a new value of `size` units (before creating it, where that matters)."""
        if self.failure is not None:
            self.raise_failure()
        if size > self.limits.max_value:
            self.fail(LimitExceeded(f"value too large ({size} units; the limit is "
                                    f"{self.limits.max_value})"))
        self.alloc -= size
        if self.alloc < 0:
            self.fail(LimitExceeded(f"memory budget exceeded ({self.limits.max_alloc} units of "
                                    "new values)"))

    def check_deep(self, value):
        """`value`, if walking all of it (compare, hash, str) stays within the value limit."""
        kind = type(value)
        if kind in SCALARS and kind is not str and kind is not bytes:
            return value
        size = deep_units(value, self.limits.max_value)
        if size > self.limits.max_value:
            self.fail(LimitExceeded(f"value too large to compare, hash or convert (more than "
                                    f"{self.limits.max_value} units)"))
        return value

    def check_int(self, bits: int) -> None:
        if bits > INT_BITS:
            self.fail(LimitExceeded(f"integer too large ({bits} bits; the limit is {INT_BITS})"))

    def refuse(self, what: str):
        self.fail(Refused(what))


_local = threading.local()


def current() -> Budget:
    budget = getattr(_local, "budget", None)
    if budget is None:
        raise Refused("sandbox guard called outside an evaluation")
    return budget


class running:
    """Context manager: `budget` is the current one in this thread while the block runs."""

    def __init__(self, budget: Budget):
        self.budget = budget

    def __enter__(self):
        self.outer = getattr(_local, "budget", None)
        _local.budget = self.budget
        return self.budget

    def __exit__(self, *exc):
        _local.budget = self.outer
        return False
