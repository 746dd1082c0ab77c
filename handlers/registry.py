"""Handler registry: the names BPMN service tasks use, mapped to functions.

Each handler also carries what an analyst binding it in a model needs to know (see `describe`):
its description (the docstring), the parameters it reads from the model, whether it is
read-only, and which handler undoes it (the one to bind to its compensation handler).
"""
import inspect
from typing import Callable

from handlers.base import StepCall, StepOutcome

Handler = Callable[[StepCall], StepOutcome]
_HANDLERS: dict[str, Handler] = {}


def handler(name: str, *, read_only: bool = False, undo: str | None = None,
            params: dict[str, str] | None = None):
    """Register a handler under the name service tasks use.

    read_only: the handler changes nothing in the bank (a lookup, a check), so repeating it
    after a crash is harmless: the worker saves it before the next step with a bank effect.
    undo: the name of the handler that compensates this one's effect.
    params: the operator parameters it reads from the model (name -> what it means); all optional.
    """
    def register(fn: Handler) -> Handler:
        if name in _HANDLERS and _HANDLERS[name] is not fn:
            raise ValueError(f"handler {name!r} registered twice")
        fn.read_only = read_only
        fn.undo = undo
        fn.params = dict(params or {})
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


def describe(name: str, fn: Handler, registry: dict[str, Handler]) -> dict:
    """What a model author sees of a handler: description, parameters, read-only, undo."""
    undoes = sorted(other for other, f in registry.items() if getattr(f, "undo", None) == name)
    return {"name": name, "description": " ".join((inspect.getdoc(fn) or "").split()),
            "parameters": [{"name": p, "description": d} for p, d in getattr(fn, "params", {}).items()],
            "read_only": getattr(fn, "read_only", False),
            "compensation": getattr(fn, "undo", None),
            "compensates": undoes[0] if undoes else None}
