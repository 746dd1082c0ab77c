"""Run-time guards: the only ways compiled analysts' code touches objects.

Whitelists, not blacklists: an attribute is reachable only if it is listed for the exact type
of the object (plain data types only), so generators, functions, frames, classes, modules and
exceptions have no reachable attribute at all. Items are read only from plain containers.
Every method and builtin receives only plain values (checked for deep size), callables, or
lazy iterables that are first drawn item by item through the step budget.
"""
import operator
from datetime import date, datetime, timedelta

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from .budget import INT_BITS, VALUES, current, units

# --- calling whitelisted functions ----------------------------------------------------------


def _arg(budget, value):
    kind = type(value)
    if kind in VALUES:
        return budget.check_deep(value)
    if callable(value):           # key= functions: our wrappers or the script's own (they tick)
        return value
    return list(drawn(budget, value, deep=True))   # range, zip, generators, views: counted


def drawn(budget, iterable, deep=False):
    """The items of `iterable`, one step each (each walked too, if `deep`: a builtin will
    compare or hash them)."""
    try:
        iterator = iter(iterable)
    except TypeError:
        budget.refuse(f"a {type(iterable).__name__} cannot be iterated")
    for item in iterator:
        budget.tick()
        yield budget.check_deep(item) if deep else item


def call_guarded(function, check, args, kwargs, bound=()):
    """Call `function` for the sandbox: arguments made plain first, `check(budget, *args)`
    before the call (sizes that must be refused before computing), the result's size charged."""
    budget = current()
    args = [*bound, *(_arg(budget, a) for a in args)]
    kwargs = {k: _arg(budget, v) for k, v in kwargs.items()}
    if check is not None:
        check(budget, *args, **kwargs)
    result = function(*args, **kwargs)
    budget.charge(units(result))
    return result


def guarded(function, check=None):
    def call(*args, **kwargs):
        return call_guarded(function, check, args, kwargs)
    call.__name__ = function.__name__
    return call


# --- sizes known before computing -----------------------------------------------------------


def _width(budget, s, width, *rest):
    budget.charge(max(len(s), width if type(width) is int else 0))


def _replace(budget, s, old, new, count=-1):
    if type(s) is not str or type(old) is not str or type(new) is not str:
        return
    hits = len(s) + 1 if old == "" else s.count(old)
    if type(count) is int and count >= 0:
        hits = min(hits, count)
    budget.charge(len(s) + hits * max(0, len(new) - len(old)))


def _join(budget, sep, items):
    if type(sep) is str and hasattr(items, "__len__"):
        budget.charge(sum(len(i) for i in items if type(i) is str) + len(sep) * max(0, len(items) - 1))


def _extend(budget, target, items):
    budget.charge(len(items))


def _sum(budget, items, start=0):
    if type(start) not in (int, float):
        budget.refuse("sum() adds numbers only")


def _round(budget, number, ndigits=None):
    if ndigits is not None and type(ndigits) is int and abs(ndigits) > 30:
        budget.refuse("round() to more than 30 digits")


# --- attributes -----------------------------------------------------------------------------

# type -> attribute -> PLAIN (a data attribute, returned as is), None (a method, called through
# call_guarded) or a check(budget, self, *args) that refuses sizes before the method runs
PLAIN = "attribute"
_STR_METHODS = (
    "capitalize casefold count endswith find index isalnum isalpha isdecimal isdigit islower "
    "isnumeric isspace istitle isupper lower lstrip partition removeprefix removesuffix rfind "
    "rindex rpartition rsplit rstrip split splitlines startswith strip swapcase title upper")
_DATE_FIELDS = "year month day"
_TIME_FIELDS = "hour minute second microsecond"

METHODS = {
    str: {**dict.fromkeys(_STR_METHODS.split()), "center": _width, "ljust": _width,
          "rjust": _width, "zfill": _width, "replace": _replace, "join": _join},
    list: {**dict.fromkeys("append clear copy count index insert pop remove reverse sort".split()),
           "extend": _extend},
    tuple: dict.fromkeys("count index".split()),
    dict: dict.fromkeys("clear copy get items keys pop popitem setdefault update values".split()),
    set: dict.fromkeys(("add clear copy difference discard intersection isdisjoint issubset "
                        "issuperset pop remove symmetric_difference union update").split()),
    float: dict.fromkeys(["is_integer"]),
    date: {**dict.fromkeys(_DATE_FIELDS.split(), PLAIN),
           **dict.fromkeys("isoformat weekday isoweekday".split())},
    datetime: {**dict.fromkeys(f"{_DATE_FIELDS} {_TIME_FIELDS}".split(), PLAIN),
               **dict.fromkeys("isoformat weekday isoweekday date".split())},
    timedelta: {**dict.fromkeys("days seconds microseconds".split(), PLAIN),
                "total_seconds": None},
}


# methods that compare the elements of their list or tuple: the whole of it is walked first
_DEEP_SELF = frozenset({"count", "index", "remove", "sort"})


def getattr_(obj, name):
    table = METHODS.get(type(obj))
    if table is None or name not in table:
        current().refuse(f"attribute {name!r} of {type(obj).__name__} is not available")
    check = table[name]
    if check is PLAIN:
        return getattr(obj, name)
    if name in _DEEP_SELF and type(obj) in (list, tuple):
        current().check_deep(obj)
    method = getattr(type(obj), name)
    return lambda *args, **kwargs: call_guarded(method, check, args, kwargs, bound=(obj,))


# --- items, writes, iteration ---------------------------------------------------------------

_READABLE = frozenset({dict, list, tuple, str, range})


def getitem_(obj, key):
    budget = current()
    if type(obj) not in _READABLE:
        budget.refuse(f"a {type(obj).__name__} has no items to read")
    if type(key) is slice:
        if not all(type(v) in (int, bool, type(None)) for v in (key.start, key.stop, key.step)):
            budget.refuse("slice bounds must be integers")
        result = obj[key]
        budget.charge(units(result))
        return result
    if type(key) not in VALUES:
        budget.refuse(f"a {type(key).__name__} cannot be a key or an index")
    return obj[budget.check_deep(key)]


def write_(obj):
    """Target of ``obj[k] = v`` / ``del obj[k]``: only the task's own lists and dicts."""
    if type(obj) not in (dict, list):
        current().refuse(f"a {type(obj).__name__} cannot be changed")
    return obj


def getiter_(iterable):
    """Every ``for`` loop and comprehension draws its items here."""
    return drawn(current(), iterable)


def iter_unpack_sequence_(iterable, spec, _getiter_=getiter_):
    return guarded_iter_unpack_sequence(iterable, spec, getiter_)


def unpack_sequence_(iterable, spec, _getiter_=getiter_):
    return guarded_unpack_sequence(iterable, spec, getiter_)


def tick_():
    return current().tick()


def small_(value):
    return current().check_deep(value)


def new_(value):
    current().charge(units(value))
    return value


# --- operators ------------------------------------------------------------------------------

OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "<<": operator.lshift,
    ">>": operator.rshift, "|": operator.or_, "^": operator.xor, "&": operator.and_,
    "@": operator.matmul,
}
_SIZED = (str, bytes, list, tuple)


def _int_bits(a, b, op):
    """Bits of an integer result, estimated from the operands (before computing)."""
    if op == "*":
        return a.bit_length() + b.bit_length()
    if op == "**":
        return a.bit_length() * b if b > 0 else 1
    if op == "<<":
        return a.bit_length() + b
    return max(a.bit_length(), b.bit_length()) + 1


def binop_(op, a, b):
    budget = current()
    ta, tb = type(a), type(b)
    if op == "%" and ta in (str, bytes):
        budget.refuse("%-formatting is not available (use f-strings)")
    if ta in (int, bool) and tb in (int, bool):
        if op in ("*", "**", "<<", "+", "-"):
            budget.check_int(_int_bits(a, b, op))
    elif op == "*" and (ta in _SIZED and tb in (int, bool) or tb in _SIZED and ta in (int, bool)):
        seq, n = (a, b) if ta in _SIZED else (b, a)
        budget.charge(len(seq) * max(0, n))
    elif op == "+" and ta in _SIZED and tb in _SIZED:
        budget.charge(len(a) + len(b))
    elif op == "**" and tb in (int, bool) and ta not in (float,) and ta not in (int, bool):
        budget.refuse(f"** on {ta.__name__}")
    result = OPERATORS[op](a, b)
    if type(result) is int and result.bit_length() > INT_BITS:
        budget.check_int(result.bit_length())
    budget.charge(units(result))
    return result


def inplacevar_(op, a, b):
    """``name op= value``: lists grow in place (as in Python), everything else as binop_."""
    if op == "+=" and type(a) is list:
        budget = current()
        items = _arg(budget, b)
        budget.charge(len(items))
        a += items
        return a
    return binop_(op[:-1], a, b)
