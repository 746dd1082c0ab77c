from datetime import date

import pytest

from app.domain import validation as v

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("value", ["500100732259", "773370857141"])
def test_inn_valid(value):
    assert v.inn_person(value) is None


@pytest.mark.parametrize("value", ["500100732258", "500100732269", "50010073225", "5001007322590",
                                   "50010073225a", 500100732259, None, "７７３３７０８５７１４１"])
def test_inn_invalid(value):
    assert v.inn_person(value)


@pytest.mark.parametrize("value", ["112-233-445 95", "11223344595", "001-001-998 00",
                                   "087-654-303 00"])
def test_snils_valid(value):
    assert v.snils(value) is None


@pytest.mark.parametrize("value", ["112-233-445 96", "112-233-44595", "112 233 445 95",
                                   "1122334459", None, "112-233-445 9a"])
def test_snils_invalid(value):
    assert v.snils(value)


def test_snils_control_edge_cases():
    assert v.snils_control("000000001") == 1
    assert v.snils_control("100000000") == 9 * 1     # < 100: the sum itself
    assert v.snils_control("999999999") == 405 % 101  # > 101: mod 101


def test_passport_parts():
    assert v.passport_series("4510") is None and v.passport_series("451") is not None
    assert v.passport_number("123456") is None and v.passport_number("12345a") is not None
    assert v.issuer_code("770-001") is None
    for bad in ("770001", "77-0001", "770-0011", None):
        assert v.issuer_code(bad)


def test_passport_issued_on():
    assert v.passport_issued_on("2008-06-01", "1988-05-17", TODAY) is None
    assert v.passport_issued_on("2002-05-17", "1988-05-17", TODAY) is None  # 14th birthday
    assert "14" in v.passport_issued_on("2002-05-16", "1988-05-17", TODAY)
    assert "future" in v.passport_issued_on("2026-11-26", "1988-05-17", TODAY)
    assert v.passport_issued_on("01.06.2008", "1988-05-17", TODAY)


def test_passport_expired():
    assert v.passport_expired("2008-06-01", "1988-05-17", TODAY) is None
    assert "20" in v.passport_expired("2003-01-10", "1988-05-17", TODAY)
    assert "45" in v.passport_expired("2000-01-10", "1980-01-01", TODAY)
    # invalid from the 20th birthday itself; with a grace period, from that many days later
    assert v.passport_expired("2003-01-10", "1988-05-17", date(2008, 5, 16)) is None
    assert "20" in v.passport_expired("2003-01-10", "1988-05-17", date(2008, 5, 17))
    assert v.passport_expired("2003-01-10", "1988-05-17", date(2008, 8, 14), grace_days=90) is None
    assert "20" in v.passport_expired("2003-01-10", "1988-05-17", date(2008, 8, 15), grace_days=90)
    # one issued on or after the birthday is the replacement: valid
    assert v.passport_expired("2008-05-17", "1988-05-17", date(2030, 1, 1)) is None


def test_depositor_errors_name_an_expired_passport():
    depositor = {"last_name": "A", "first_name": "B", "birth_date": "1980-01-01", "phone": "+79161234567",
                 "passport": {"series": "4510", "number": "123456", "issuer_code": "770-001",
                              "issued_on": "2000-01-10"}}
    assert "45" in v.depositor_errors(depositor, TODAY)["passport.issued_on"]
    assert "passport.issued_on" not in v.depositor_errors(depositor, date(2024, 12, 31))
    grace = (TODAY - date(2025, 1, 1)).days + 1
    assert "passport.issued_on" not in v.depositor_errors(depositor, TODAY, passport_grace_days=grace)


def test_bank_account():
    bik = "044525555"
    assert v.bank_account("40702810400000000001", bik) is None
    assert "control key" in v.bank_account("40702810500000000001", bik)
    assert v.bank_account("4070281040000000000", bik)
    assert v.bank_account("40702810400000000001", "04452555")
    fixed = v.with_account_key(bik, "40817810000000012345")
    assert v.bank_account(fixed, bik) is None and fixed[:8] == "40817810"


@pytest.mark.parametrize("value", ["+79161234567", "+7 (916) 123-45-67", "+7 916 123 45 67"])
def test_phone_valid(value):
    assert v.phone(value) is None


@pytest.mark.parametrize("value", ["89161234567", "+7916123456", "+791612345678", "+74951234567",
                                   "+7916123456a", None])
def test_phone_invalid(value):
    assert v.phone(value)


def test_landline_allowed_when_not_mobile_only():
    assert v.phone("+74951234567", mobile_only=False) is None


def test_amount():
    assert v.amount_kopecks(1) is None
    assert v.amount_kopecks(100, max_kopecks=100) is None
    for bad in (0, -5, 1.5, "100", True, None):
        assert v.amount_kopecks(bad)
    assert "exceed" in v.amount_kopecks(101, max_kopecks=100)


def test_dates():
    assert v.iso_date("2026-02-28") is None and v.iso_date(date(2026, 1, 1)) is None
    for bad in ("2026-02-30", "26-01-01", "2026-1-1", "2026-01-01T00:00:00", 20260101, None):
        assert v.iso_date(bad)
    assert v.future_date("2026-11-26", TODAY) is None and v.future_date("2026-11-25", TODAY)


def test_adult_birth_date():
    assert v.adult_birth_date("2008-11-25", TODAY) is None        # 18 today
    assert "18" in v.adult_birth_date("2008-11-26", TODAY)
    assert "future" in v.adult_birth_date("2027-01-01", TODAY)
    assert v.adult_birth_date("2000-02-29", date(2018, 2, 28)) is not None
    assert v.adult_birth_date("2000-02-29", date(2018, 3, 1)) is None


def test_depositor_errors():
    good = {"last_name": "Smirnov", "first_name": "Pavel", "birth_date": "1988-05-17",
            "phone": "+79161234501", "inn": "500100732259", "snils": "112-233-445 95",
            "passport": {"series": "4512", "number": "778899", "issued_on": "2008-06-01",
                         "issuer_code": "770-045"}}
    assert v.depositor_errors(good, TODAY) == {}
    bad = {**good, "first_name": " ", "inn": "500100732258",
           "passport": {**good["passport"], "issuer_code": "770045"}}
    assert set(v.depositor_errors(bad, TODAY)) == {"first_name", "inn", "passport.issuer_code"}
    assert v.depositor_errors({**good, "inn": "", "snils": None}, TODAY) == {}
