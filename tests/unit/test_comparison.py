"""The back office's comparison of the buyer with each candidate client record."""
from datetime import date

from app.services.comparison import compare

BUYER = {"last_name": "Petrova", "first_name": "Anna", "middle_name": "Sergeevna",
         "birth_date": "1990-07-21",
         "passport": {"series": "4510", "number": "654321", "issued_on": "2010-08-10",
                      "issuer_code": "770-002"}}


def candidate(client_id="C1", **changes) -> dict:
    record = {"client_id": client_id, **BUYER, "passport": dict(BUYER["passport"])}
    for key, value in changes.items():
        if key.startswith("passport_"):
            record["passport"][key.removeprefix("passport_")] = value
        else:
            record[key] = value
    return record


def differing(result: dict, index: int = 0) -> list[str]:
    return [row["field"] for row in result["rows"] if not row["cells"][index]["same"]]


def test_the_same_person_written_differently_has_no_differences():
    written = candidate(last_name="  PETROVA ", first_name="anna", middle_name="Sergeevna",
                        birth_date=date(1990, 7, 21), passport_series="45 10", passport_number="654 321",
                        passport_issuer_code="770002")
    result = compare(BUYER, [written])
    assert differing(result) == []
    assert result["candidates"] == [{"client_id": "C1", "differences": 0}]


def test_yo_and_ye_are_the_same_letter_in_names():
    buyer = {**BUYER, "last_name": "Семёнова"}
    assert differing(compare(buyer, [candidate(last_name="СЕМЕНОВА")])) == []


def test_each_differing_field_is_marked_and_counted_per_candidate():
    records = [candidate("C2"), candidate("C3", middle_name="Sergeyevna", birth_date="1990-07-12"),
               candidate("C4", passport_number="654322", passport_issued_on="2011-08-10")]
    result = compare(BUYER, records)
    assert differing(result, 0) == []
    assert differing(result, 1) == ["middle_name", "birth_date"]
    assert differing(result, 2) == ["passport", "passport.issued_on"]
    assert [c["differences"] for c in result["candidates"]] == [0, 2, 2]


def test_rows_carry_the_values_as_written_for_display():
    result = compare(BUYER, [candidate(last_name="PETROVA")])
    row = next(r for r in result["rows"] if r["field"] == "last_name")
    assert row["buyer"] == "Petrova" and row["cells"][0]["value"] == "PETROVA"
    passport = next(r for r in result["rows"] if r["field"] == "passport")
    assert passport["buyer"] == "4510 654321" and passport["kind"] == "text"
    assert next(r for r in result["rows"] if r["field"] == "birth_date")["kind"] == "date"


def test_a_value_missing_on_one_side_differs_and_missing_on_both_does_not():
    no_middle = {**BUYER, "middle_name": None}
    assert differing(compare(no_middle, [candidate(middle_name="Sergeevna")])) == ["middle_name"]
    assert differing(compare(no_middle, [candidate(middle_name="")])) == []
    assert differing(compare(BUYER, [{"client_id": "C9"}])) == [r["field"] for r in compare(BUYER, [])["rows"]]


def test_no_candidates_still_lists_the_buyer():
    result = compare(BUYER, [])
    assert result["candidates"] == [] and all(r["cells"] == [] for r in result["rows"])
