"""Request and response shapes of the orders API (validation and OpenAPI in one place)."""
from datetime import date

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.domain import validation as rules
from app.domain.clock import utcnow
from app.domain.statuses import ALL as STATUSES


def _today() -> date:
    return utcnow().date()


class AgreementSchema(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    date = fields.Date(required=True)

    @validates_schema
    def not_in_future(self, data, **_):
        if data.get("date") and data["date"] > _today():
            raise ValidationError("must not be in the future", "date")


class PassportSchema(Schema):
    series = fields.String(required=True)
    number = fields.String(required=True)
    issued_on = fields.Date(required=True)
    issuer_code = fields.String(required=True)


class DepositorSchema(Schema):
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    middle_name = fields.String(load_default=None, validate=validate.Length(max=100))
    birth_date = fields.Date(required=True)
    phone = fields.String(required=True)
    passport = fields.Nested(PassportSchema, required=True)
    inn = fields.String(load_default=None)
    snils = fields.String(load_default=None)

    @validates_schema
    def domain_rules(self, data, **_):
        """INN/SNILS check digits, passport formats, adult, phone (app/domain/validation.py)."""
        plain = {**data, "birth_date": data.get("birth_date") and data["birth_date"].isoformat(),
                 "passport": {**data.get("passport", {})}}
        if plain["passport"].get("issued_on"):
            plain["passport"]["issued_on"] = plain["passport"]["issued_on"].isoformat()
        problems = rules.depositor_errors(plain, _today())
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
    project_id = fields.String(required=True)
    agreement = fields.Nested(AgreementSchema, required=True)
    amount = fields.Integer(required=True, strict=True,
                            metadata={"description": "deposit amount in kopecks"})
    escrow_until = fields.Date(required=True)
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


class OrderCreatedSchema(Schema):
    id = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))


class StepSchema(Schema):
    name = fields.String()
    label = fields.String()
    handler = fields.String(allow_none=True)
    state = fields.String()
    attempts = fields.Integer()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)
    compensation = fields.Dict(allow_none=True)


class HistorySchema(Schema):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    detail = fields.Dict()


class OrderSummarySchema(Schema):
    id = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    company = fields.String()
    project = fields.Dict()
    created_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()
    data = fields.Dict()


class OrderSchema(OrderSummarySchema):
    model = fields.Dict()
    results = fields.Dict()
    steps = fields.List(fields.Nested(StepSchema))
    open_tasks = fields.List(fields.Dict())
    incidents = fields.List(fields.Dict())
    warnings = fields.List(fields.String())
    history = fields.List(fields.Nested(HistorySchema))


class OrderListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    company = fields.String(validate=validate.Length(min=1, max=64),
                            metadata={"description": "only this company's orders (the dashboard's links)"})
    q = fields.String(validate=validate.Length(min=1, max=100),
                      metadata={"description": "search: depositor name, agreement or passport number"})


class CancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class SignatureSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="must be 6 digits"))


class MessageSchema(Schema):
    message = fields.String()
