"""The builtins analysts' code sees: a short whitelist, every one called through the guards."""
from .budget import current
from .guards import _round, _sum, guarded

_TYPES = {"bool": bool, "int": int, "float": float, "str": str, "list": list, "tuple": tuple,
          "dict": dict, "set": set}
_FUNCTIONS = (abs, all, any, chr, enumerate, len, max, min, ord, range, reversed, sorted, zip)
_CHECKS = {"sum": (sum, _sum), "round": (round, _round)}

SAFE_BUILTINS = {name: guarded(cls) for name, cls in _TYPES.items()}
SAFE_BUILTINS.update({fn.__name__: guarded(fn) for fn in _FUNCTIONS})
SAFE_BUILTINS.update({name: guarded(fn, check) for name, (fn, check) in _CHECKS.items()})

# isinstance(x, str) receives our wrapper of str: map it back to the plain type
_TYPE_OF = {SAFE_BUILTINS[name]: cls for name, cls in _TYPES.items()}


def _isinstance(value, types):
    current().check_deep(types)
    wanted = types if type(types) is tuple else (types,)
    if not all(t in _TYPE_OF for t in wanted):
        current().refuse("isinstance() takes the plain types (str, int, float, bool, list, "
                         "tuple, dict, set)")
    return isinstance(value, tuple(_TYPE_OF[t] for t in wanted))


SAFE_BUILTINS["isinstance"] = _isinstance
