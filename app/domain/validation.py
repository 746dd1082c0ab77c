"""Input validation rules (see /work/shared/domain.md).

Each rule is a pure function returning None when the value is valid, else a readable English
message. Dates may be `date` objects or ISO 8601 strings ("YYYY-MM-DD"); "today" is always
passed in by the caller (derived from its UTC clock), never read here.
"""
import re
from datetime import date

INN_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
ACCOUNT_WEIGHTS = (7, 1, 3)
ADULT_AGE = 18
PASSPORT_MIN_AGE = 14
PASSPORT_REPLACED_AT = (20, 45)

# The formats as regular expressions that mean the same in Python and in JSON Schema (ECMA
# 262): the OpenAPI document publishes them and the checks below use them (re.fullmatch), so the
# document says exactly what the server checks. Check digits and dates are beyond a pattern.
INN_PATTERN = r"^[0-9]{12}$"
SNILS_PATTERN = r"^([0-9]{3}-[0-9]{3}-[0-9]{3} [0-9]{2}|[0-9]{11})$"
PASSPORT_SERIES_PATTERN = r"^[0-9]{4}$"
PASSPORT_NUMBER_PATTERN = r"^[0-9]{6}$"
ISSUER_CODE_PATTERN = r"^[0-9]{3}-[0-9]{3}$"
_SEP = "[ ()-]*"  # what people type between digits: spaces, dashes, parentheses
PHONE_PATTERN = rf"^{_SEP}\+{_SEP}7{_SEP}9({_SEP}[0-9]){{9}}{_SEP}$"  # +7 9..: a mobile number
ANY_PHONE_PATTERN = rf"^{_SEP}\+{_SEP}7({_SEP}[0-9]){{10}}{_SEP}$"

_SNILS_FORMATTED = re.compile(r"^([0-9]{3})-([0-9]{3})-([0-9]{3}) ([0-9]{2})$")
_PHONE_SEPARATORS = re.compile(r"[ ()-]")


def _is_digits(value, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and value.isascii() and value.isdigit()


def _matches(pattern: str, value) -> bool:
    return isinstance(value, str) and re.fullmatch(pattern, value) is not None


# --- dates -----------------------------------------------------------------------------

def parse_date(value) -> date:
    """A date from a `date` or an ISO string; raises ValueError otherwise."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    raise ValueError(f"not an ISO 8601 date (YYYY-MM-DD): {value!r}")


def iso_date(value) -> str | None:
    try:
        parse_date(value)
    except ValueError:
        return "must be a date in ISO 8601 format (YYYY-MM-DD)"
    return None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def adult_birth_date(value, today: date, min_age: int = ADULT_AGE) -> str | None:
    if iso_date(value):
        return iso_date(value)
    birth = parse_date(value)
    if birth > today:
        return "birth date is in the future"
    if age_on(birth, today) < min_age:
        return f"the depositor must be at least {min_age} years old"
    return None


def future_date(value, today: date) -> str | None:
    """A date strictly after today (e.g. the escrow term)."""
    if iso_date(value):
        return iso_date(value)
    if parse_date(value) <= today:
        return "must be a date after today"
    return None


# --- identity documents ------------------------------------------------------------------

def inn_person(value) -> str | None:
    if not _matches(INN_PATTERN, value):
        return "INN of a person must be 12 digits"
    d = [int(c) for c in value]
    c11 = sum(x * w for x, w in zip(d, INN_W11)) % 11 % 10
    c12 = sum(x * w for x, w in zip(d, INN_W12)) % 11 % 10
    if d[10] != c11 or d[11] != c12:
        return "INN check digits do not match"
    return None


def snils_digits(value) -> str | None:
    """The 11 digits of a SNILS written "NNN-NNN-NNN CC" or as 11 bare digits, else None."""
    if not _matches(SNILS_PATTERN, value):
        return None
    m = _SNILS_FORMATTED.fullmatch(value)
    return "".join(m.groups()) if m else value


def snils_control(first9: str) -> int:
    s = sum(int(c) * (9 - i) for i, c in enumerate(first9))
    if s < 100:
        return s
    if s in (100, 101):
        return 0
    s %= 101
    return 0 if s == 100 else s


def snils(value) -> str | None:
    digits = snils_digits(value)
    if digits is None:
        return "SNILS must be written as NNN-NNN-NNN CC (or 11 digits)"
    if int(digits[:9]) <= 1001998:  # numbers up to 001-001-998 carry no check
        return None
    if snils_control(digits[:9]) != int(digits[9:]):
        return "SNILS check number does not match"
    return None


def passport_series(value) -> str | None:
    return None if _matches(PASSPORT_SERIES_PATTERN, value) else "passport series must be 4 digits"


def passport_number(value) -> str | None:
    return None if _matches(PASSPORT_NUMBER_PATTERN, value) else "passport number must be 6 digits"


def issuer_code(value) -> str | None:
    return None if _matches(ISSUER_CODE_PATTERN, value) else "issuer code must be written as NNN-NNN"


def passport_issued_on(value, birth_date, today: date) -> str | None:
    """Issued after the holder turned 14 and not in the future."""
    if iso_date(value):
        return iso_date(value)
    issued = parse_date(value)
    if issued > today:
        return "passport issue date is in the future"
    if iso_date(birth_date) is None:
        if issued < _add_years(parse_date(birth_date), PASSPORT_MIN_AGE):
            return "passport cannot be issued before the holder turned 14"
    return None


def passport_expired(issued_on, birth_date, today: date, grace_days: int = 0) -> str | None:
    """Russian passports are replaced at 20 and 45: one issued before such a birthday is
    invalid from that birthday (or `grace_days` after it, where a bank accepts the days the
    law gives to apply for the new one)."""
    issued, birth = parse_date(issued_on), parse_date(birth_date)
    for age in PASSPORT_REPLACED_AT:
        birthday = _add_years(birth, age)
        if issued < birthday and (today - birthday).days >= grace_days:
            return (f"passport expired: issued before the holder turned {age}, it had to be "
                    f"replaced at age {age}")
    return None


# --- money, accounts, contacts -----------------------------------------------------------

def account_key_sum(bik: str, account: str) -> int:
    digits = bik[-3:] + account
    return sum(int(c) * ACCOUNT_WEIGHTS[i % 3] % 10 for i, c in enumerate(digits))


def with_account_key(bik: str, account: str) -> str:
    """The 20-digit `account` with its control key (9th digit) set for this BIK."""
    base = account[:8] + "0" + account[9:]
    for key in range(10):
        candidate = base[:8] + str(key) + base[9:]
        if account_key_sum(bik, candidate) % 10 == 0:
            return candidate
    raise ValueError("no control key fits")  # cannot happen: weight 3 at position 9 cycles 0..9


def bank_account(account, bik) -> str | None:
    if not _is_digits(bik, 9):
        return "BIK must be 9 digits"
    if not _is_digits(account, 20):
        return "bank account must be 20 digits"
    if account_key_sum(bik, account) % 10:
        return "bank account control key does not match the BIK"
    return None


def normalize_phone(value) -> str:
    """Drop spaces, dashes and parentheses people type: "+7 (916) 123-45-67" -> "+79161234567"."""
    return _PHONE_SEPARATORS.sub("", value) if isinstance(value, str) else value


def phone(value, mobile_only: bool = True) -> str | None:
    """A Russian (mobile) number; the separators people type are allowed."""
    if _matches(PHONE_PATTERN if mobile_only else ANY_PHONE_PATTERN, value):
        return None
    if _matches(ANY_PHONE_PATTERN, value):
        return "a mobile phone number is required (+79...)"
    return "phone must be +7 followed by 10 digits"


def amount_kopecks(value, max_kopecks: int | None = None) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "amount must be an integer number of kopecks"
    if value <= 0:
        return "amount must be positive"
    if max_kopecks is not None and value > max_kopecks:
        return f"amount must not exceed {max_kopecks} kopecks"
    return None


# --- composite ---------------------------------------------------------------------------

def _passport_date(passport: dict, birth_date, today: date, grace_days: int) -> str | None:
    issued_on = passport.get("issued_on")
    problem = passport_issued_on(issued_on, birth_date, today)
    if problem is None and iso_date(birth_date) is None:
        problem = passport_expired(issued_on, birth_date, today, grace_days)
    return problem


def depositor_errors(depositor: dict, today: date, passport_grace_days: int = 0) -> dict[str, str]:
    """Field path -> message for a depositor dict shaped like order data["depositor"]."""
    errors: dict[str, str] = {}
    passport = depositor.get("passport") or {}
    checks = {
        "birth_date": lambda: adult_birth_date(depositor.get("birth_date"), today),
        "phone": lambda: phone(depositor.get("phone")),
        "passport.series": lambda: passport_series(passport.get("series")),
        "passport.number": lambda: passport_number(passport.get("number")),
        "passport.issuer_code": lambda: issuer_code(passport.get("issuer_code")),
        "passport.issued_on": lambda: _passport_date(
            passport, depositor.get("birth_date"), today, passport_grace_days),
    }
    for name in ("last_name", "first_name"):
        value = depositor.get(name)
        if not isinstance(value, str) or not value.strip():
            errors[name] = "is required"
    # INN and SNILS are optional; checked when given
    if depositor.get("inn"):
        checks["inn"] = lambda: inn_person(depositor.get("inn"))
    if depositor.get("snils"):
        checks["snils"] = lambda: snils(depositor.get("snils"))
    for path, check in checks.items():
        message = check()
        if message:
            errors[path] = message
    return errors
