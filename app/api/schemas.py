"""Request and response shapes of the orders API (validation and OpenAPI in one place).

What a pattern, length, range or enum can say is in the document (the same constants the
domain rules check), so a client reads there what the server refuses; check digits, dates
relative to today and the configured maximum amount are checked by the rules and described."""
from datetime import date, timezone

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.domain import validation as rules
from app.domain.clock import as_utc, utcnow
from app.domain.statuses import ALL as STATUSES
from app.services import incidents


class UtcDateTime(fields.AwareDateTime):
    """A moment: ISO 8601 with an offset, in UTC. Every time the API sends is one of these
    (MongoDB hands back naive datetimes, which are UTC); one without a zone is read as UTC."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=timezone.utc, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else as_utc(value).isoformat()


def _today() -> date:
    return utcnow().date()


def _text(max_length: int, min_length: int = 1, **kwargs):
    return fields.String(validate=validate.Length(min=min_length, max=max_length), **kwargs)


def _formatted(pattern: str, description: str, **kwargs):
    """A string in a format the domain rules check (the pattern is published, not checked twice)."""
    return fields.String(metadata={"pattern": pattern, "description": description}, **kwargs)


class AgreementSchema(Schema):
    number = _text(64, required=True)
    date = fields.Date(required=True, metadata={"description": "not in the future"})

    @validates_schema
    def not_in_future(self, data, **_):
        if data.get("date") and data["date"] > _today():
            raise ValidationError("must not be in the future", "date")


class PassportSchema(Schema):
    series = _formatted(rules.PASSPORT_SERIES_PATTERN, "4 digits", required=True)
    number = _formatted(rules.PASSPORT_NUMBER_PATTERN, "6 digits", required=True)
    issued_on = fields.Date(required=True, metadata={
        "description": "after the holder turned 14, not in the future; a passport issued before "
                       "the 20th (45th) birthday is expired from that birthday"})
    issuer_code = _formatted(rules.ISSUER_CODE_PATTERN, "NNN-NNN", required=True)


class DepositorSchema(Schema):
    last_name = _text(100, required=True)
    first_name = _text(100, required=True)
    middle_name = _text(100, min_length=0, load_default=None, allow_none=True)
    birth_date = fields.Date(required=True, metadata={"description": "an adult (18 or older)"})
    phone = _formatted(rules.PHONE_PATTERN, "a mobile number: +7 9XX XXX-XX-XX (spaces, dashes "
                                            "and parentheses allowed)", required=True,
                       validate=validate.Length(max=40))
    passport = fields.Nested(PassportSchema, required=True)
    inn = _formatted(rules.INN_PATTERN, "INN of a person: 12 digits with valid check digits",
                     load_default=None, allow_none=True)
    snils = _formatted(rules.SNILS_PATTERN, "NNN-NNN-NNN CC (or 11 digits) with a valid check "
                                            "number", load_default=None, allow_none=True)

    @validates_schema
    def domain_rules(self, data, **_):
        """INN/SNILS check digits, passport formats and dates, adult, phone (app/domain/validation.py)."""
        plain = {**data, "birth_date": data.get("birth_date") and data["birth_date"].isoformat(),
                 "passport": {**data.get("passport", {})}}
        if plain["passport"].get("issued_on"):
            plain["passport"]["issued_on"] = plain["passport"]["issued_on"].isoformat()
        grace = current_app.config["ESCROW"].passport_grace_days
        problems = rules.depositor_errors(plain, _today(), passport_grace_days=grace)
        if problems:
            nested: dict = {}
            for path, message in problems.items():
                head, _, tail = path.partition(".")
                if tail:
                    nested.setdefault(head, {})[tail] = [message]
                else:
                    nested[head] = [message]
            raise ValidationError(nested)


class OrderCreateSchema(Schema):
    project_id = _text(100, required=True)
    agreement = fields.Nested(AgreementSchema, required=True)
    amount = fields.Integer(required=True, strict=True, metadata={
        "minimum": 1, "description": "deposit amount in kopecks (maximum: a setting)"})
    escrow_until = fields.Date(required=True, metadata={"description": "after today"})
    depositor = fields.Nested(DepositorSchema, required=True)

    @validates_schema
    def amount_and_term(self, data, **_):
        max_amount = current_app.config["ESCROW"].max_amount_kopecks
        problems = {}
        if "amount" in data:
            message = rules.amount_kopecks(data["amount"], max_amount)
            if message:
                problems["amount"] = [message]
        if data.get("escrow_until") and data["escrow_until"] <= _today():
            problems["escrow_until"] = ["must be in the future"]
        if problems:
            raise ValidationError(problems)


class IdempotencyHeaderSchema(Schema):
    class Meta:
        unknown = "exclude"  # every other header
    key = _text(200, min_length=0, data_key="Idempotency-Key", metadata={
        "description": "a retried create with the same key (and body) returns the same order"})


class OrderCreatedSchema(Schema):
    id = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))


class CompensationSchema(Schema):
    handler = fields.String(allow_none=True)
    attempts = fields.Integer()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    error = fields.String(allow_none=True)


class StepSchema(Schema):
    name = fields.String()
    instance = fields.String(metadata={"description": "which instance of a multi-instance activity "
                                                      "(\"0\", \"1/2\" when nested); absent otherwise"})
    label = fields.String(allow_none=True)
    handler = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "running, waiting, completed, failed, interrupted "
                                                   "(a cancel or rollback came before it ran), "
                                                   "compensating, compensated, ..."})
    attempts = fields.Integer()
    started_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)
    error = fields.String(allow_none=True)
    compensation = fields.Nested(CompensationSchema, allow_none=True)


class HistorySchema(Schema):
    at = UtcDateTime()
    actor = fields.String()
    action = fields.String()
    detail = fields.Dict()


class OpenTaskSchema(Schema):
    """A user task the order waits for (its data only in the inbox, for those who work it)."""
    id = fields.String()
    name = fields.String(allow_none=True)
    lane = fields.String(allow_none=True)
    due_at = UtcDateTime(allow_none=True)
    escalated = fields.Boolean(allow_none=True)


class IncidentSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    step = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    handler = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    attempts = fields.Integer(allow_none=True)
    status = fields.String(validate=validate.OneOf(incidents.STATUSES))
    created_at = UtcDateTime()
    closed_at = UtcDateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class ModelRefSchema(Schema):
    name = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)


class ProjectRefSchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    developer = fields.String()
    developer_account = fields.String(allow_none=True)


class OrderSummarySchema(Schema):
    id = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    company = fields.String()
    project = fields.Nested(ProjectRefSchema)
    created_by = fields.String(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    version = fields.Integer()
    data = fields.Dict(metadata={"description": "the order as created (OrderCreate)"})


class OrderSchema(OrderSummarySchema):
    model = fields.Nested(ModelRefSchema)
    results = fields.Dict(metadata={"description": "what the steps produced (ids in the bank)"})
    steps = fields.List(fields.Nested(StepSchema))
    open_tasks = fields.List(fields.Nested(OpenTaskSchema))
    incidents = fields.List(fields.Nested(IncidentSchema))
    warnings = fields.List(fields.String())
    history = fields.List(fields.Nested(HistorySchema))


class OrderListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    company = fields.String(validate=validate.Length(min=1, max=64),
                            metadata={"description": "only this company's orders (the dashboard's links)"})
    q = fields.String(validate=validate.Length(min=1, max=100),
                      metadata={"description": "search: depositor name, agreement or passport number"})


class CancelSchema(Schema):
    reason = _text(500, required=True)


class SignatureSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{6}$", error="must be 6 digits"))


class MessageSchema(Schema):
    message = fields.String()
