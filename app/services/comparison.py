"""The back office compares the buyer from the order with each candidate client record.

Values are compared normalised, as a clerk would read them: names without regard to case,
extra spaces or ё/е; passports and issuer codes by their digits; dates as calendar days.
"""
from datetime import date


def _name(value) -> str:
    return " ".join(str(value or "").replace("ё", "е").replace("Ё", "Е").casefold().split())


def _digits(value) -> str:
    return "".join(c for c in str(value or "") if c.isdigit())


def _day(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "")[:10]


def _get(record: dict, path: str):
    value = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _passport(record: dict) -> str:
    passport = record.get("passport") or {}
    return " ".join(str(passport.get(k) or "") for k in ("series", "number")).strip()


# (field, how it is read from a record, how it is normalised, kind of value for display)
FIELDS = (
    ("last_name", lambda r: r.get("last_name"), _name, "text"),
    ("first_name", lambda r: r.get("first_name"), _name, "text"),
    ("middle_name", lambda r: r.get("middle_name"), _name, "text"),
    ("birth_date", lambda r: r.get("birth_date"), _day, "date"),
    ("passport", _passport, _digits, "text"),
    ("passport.issued_on", lambda r: _get(r, "passport.issued_on"), _day, "date"),
    ("passport.issuer_code", lambda r: _get(r, "passport.issuer_code"), _digits, "text"),
)


def compare(buyer: dict, candidates: list[dict]) -> dict:
    """Each field of the buyer beside the same field of every candidate, with `same` telling
    whether the normalised values agree; and how many fields of each candidate differ.

    {"rows": [{"field", "kind", "buyer", "cells": [{"value", "same"}, ...]}, ...],
     "candidates": [{"client_id", "differences"}, ...]}"""
    buyer = buyer or {}
    rows, differences = [], [0] * len(candidates)
    for name, read, normal, kind in FIELDS:
        mine = read(buyer)
        cells = []
        for i, candidate in enumerate(candidates):
            theirs = read(candidate or {})
            same = normal(mine) == normal(theirs)
            differences[i] += not same
            cells.append({"value": theirs, "same": same})
        rows.append({"field": name, "kind": kind, "buyer": mine, "cells": cells})
    return {"rows": rows,
            "candidates": [{"client_id": (c or {}).get("client_id"), "differences": n}
                           for c, n in zip(candidates, differences)]}
