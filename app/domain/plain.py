"""Plain data (what JSON and BSON hold: dicts, lists, immutable scalars): copies and hashes."""
import copy
import datetime
import hashlib
import json
import uuid

IMMUTABLE = frozenset({str, int, float, bool, type(None), bytes, datetime.datetime,
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
    if kind in IMMUTABLE:
        return value
    return copy.deepcopy(value, memo)


def same_as_stored(a, b) -> bool:
    """Equal once stored in MongoDB, which keeps datetimes in UTC to the millisecond (and
    hands them back without a timezone). Equal values need no normalising (the usual case:
    a copy of what was read)."""
    return a == b or _as_stored(a) == _as_stored(b)


def _as_stored(value):
    kind = type(value)
    if kind is dict:
        return {k: _as_stored(v) for k, v in value.items()}
    if kind is list:
        return [_as_stored(v) for v in value]
    if kind is datetime.datetime:
        value = value.astimezone(datetime.timezone.utc) if value.tzinfo else value.replace(
            tzinfo=datetime.timezone.utc)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value
