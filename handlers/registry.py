"""Handler registry: the names BPMN service tasks use, mapped to functions."""
from typing import Callable

from handlers.base import StepCall, StepOutcome

Handler = Callable[[StepCall], StepOutcome]
_HANDLERS: dict[str, Handler] = {}


def handler(name: str, *, read_only: bool = False):
    """Register a handler under the name service tasks use.

    read_only: the handler changes nothing in the bank (a lookup, a check), so repeating it
    after a crash is harmless and the worker may checkpoint it together with the next step.
    """
    def register(fn: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not fn:
            raise ValueError(f"handler {name!r} registered twice")
        fn.read_only = read_only
        _HANDLERS[name] = fn
        return fn
    return register


def load_all() -> dict[str, Handler]:
    """Import every capability module so its handlers register, and return the registry."""
    import importlib
    import pkgutil
    import handlers
    for module in pkgutil.iter_modules(handlers.__path__):
        if module.name not in ("base", "registry"):
            importlib.import_module(f"handlers.{module.name}")
    return dict(_HANDLERS)


def get(name: str) -> Handler:
    return load_all()[name] if name not in _HANDLERS else _HANDLERS[name]
