"""Deep copies of plain data (what JSON and BSON hold): dicts, lists and immutable scalars.

Several times faster than `copy.deepcopy`, whose generality (memo table, dispatch, the reduce
protocol) plain data does not need; anything else still goes through `copy.deepcopy`.
"""
import copy
import datetime
import uuid

_IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes, datetime.datetime,
                        datetime.date, uuid.UUID})


def copy_plain(value, memo=None):
    kind = type(value)
    if kind is dict:
        return {k: copy_plain(v) for k, v in value.items()}
    if kind is list:
        return [copy_plain(v) for v in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value, memo)
