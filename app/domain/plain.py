"""Plain data (what JSON and BSON hold: dicts, lists, immutable scalars): copies and hashes."""
import copy
import datetime
import hashlib
import json
import uuid

_IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes, datetime.datetime,
                        datetime.date, uuid.UUID})


def canonical_hash(data) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces): equal data, equal hash."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def copy_plain(value, memo=None):
    """A deep copy, several times faster than `copy.deepcopy` (no memo table, dispatch or
    reduce protocol, which plain data does not need); anything else goes to `copy.deepcopy`."""
    kind = type(value)
    if kind is dict:
        return {k: copy_plain(v) for k, v in value.items()}
    if kind is list:
        return [copy_plain(v) for v in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value, memo)
