"""The new-order form as the API sees it: inputs named by the API's JSON path are unflattened
into the API's request body and checked by the API's own schema (OrderCreateSchema); its
errors come back keyed by input name. The one conversion of its own: the amount, typed by a
person in roubles ("12 500 000,50"), becomes integer kopecks."""
import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from app.api.schemas import OrderCreateSchema

FIELDS = ("project_id", "agreement.number", "agreement.date", "amount", "escrow_until",
          "depositor.last_name", "depositor.first_name", "depositor.middle_name",
          "depositor.birth_date", "depositor.phone", "depositor.passport.series",
          "depositor.passport.number", "depositor.passport.issued_on",
          "depositor.passport.issuer_code", "depositor.inn", "depositor.snils")
MAX_INPUT = 200  # characters kept of any input (the schema's limits are lower)
GENERAL = "_form"  # errors that belong to no one input

AMOUNT_HELP = _l("Roubles, with kopecks after a comma: 12 500 000,50")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")      # people group thousands with these
_CURRENCY = re.compile(r"(₽|руб\.?|rub|р\.)$", re.IGNORECASE)
_PLAIN = re.compile(r"\d+(?:[.,]\d{1,2})?")             # 12500000 | 12500000,5 | 12500000.50
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")  # 12,500,000.50
_DOT_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?")    # 12.500.000,50


class AmountError(ValueError):
    pass


def parse_amount(text: str) -> int:
    """Kopecks from roubles as typed: "12 500 000,50", "12500000.5", "12,500,000.50".

    One separator followed by three digits ("12,500", "12.500") could be thousands or a
    fraction; it is refused rather than guessed."""
    compact = _CURRENCY.sub("", _SPACES.sub("", text or "")).strip()
    if not compact:
        raise AmountError(_l("Enter the amount."))
    if _PLAIN.fullmatch(compact):
        roubles = compact.replace(",", ".")
    elif _COMMA_GROUPS.fullmatch(compact) and (compact.count(",") > 1 or "." in compact):
        roubles = compact.replace(",", "")
    elif _DOT_GROUPS.fullmatch(compact) and (compact.count(".") > 1 or "," in compact):
        roubles = compact.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d+[.,]\d{3}", compact):
        raise AmountError(_l("Is it thousands or kopecks? Write thousands with spaces "
                             "(12 500) and kopecks after a comma (12,50)."))
    else:
        raise AmountError(_l("Write the amount in digits, for example 12 500 000,50."))
    return int(Decimal(roubles) * 100)


def unflatten(values: dict) -> dict:
    """{"depositor.passport.series": "4510"} -> {"depositor": {"passport": {"series": "4510"}}}.
    An empty input is left out (not given), but its sections stay, so that a missing required
    input is reported at that input rather than at its whole section."""
    tree: dict = {}
    for path, value in values.items():
        *parents, leaf = path.split(".")
        node = tree
        for name in parents:
            node = node.setdefault(name, {})
        if value != "":
            node[leaf] = value
    return tree


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's (or Invalid's) nested errors keyed by input name; a schema-wide error
    (`_schema`) or one on a whole section lands under GENERAL."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            for name, messages in flatten_errors(value, path).items():
                flat.setdefault(name, []).extend(messages)
        return flat
    messages = errors if isinstance(errors, list) else [errors]
    name = prefix if prefix in FIELDS else GENERAL
    flat[name] = [m for m in messages if isinstance(m, str)]
    return flat


def read(form) -> tuple[dict[str, str], dict | None, dict[str, list[str]]]:
    """(the inputs as typed, the API request body or None, errors by input name)."""
    values = {name: (form.get(name) or "").strip()[:MAX_INPUT] for name in FIELDS}
    given = dict(values)
    amount_error = None
    if values["amount"]:
        try:
            given["amount"] = parse_amount(values["amount"])
        except AmountError as refused:
            amount_error, given["amount"] = str(refused), None
    schema = OrderCreateSchema()
    try:
        body = schema.dump(schema.load(unflatten(given)))
        errors = {}
    except ValidationError as invalid:
        body, errors = None, flatten_errors(invalid.messages)
    if amount_error:
        body, errors["amount"] = None, [amount_error]
    return values, body, errors
