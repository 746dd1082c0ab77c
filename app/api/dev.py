"""Embedded default only: fault injection, the SMS outbox, where Kafka is. Absent in production.
Who may use them is decided in app.services.dev: the administrator; one order's SMS also its
own company's manager."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api import auth
from app.api.schemas import UtcDateTime
from app.api.views import system
from app.messaging import kafka
from app.services import dev

blp = Blueprint("dev", __name__, url_prefix="/api/v1/dev",
                description="Embedded default only: drive the simulated bank, read sent SMS")

BANK_ELSEWHERE = "the bank is a service of its own (ESCROW_BANK_URL): use its admin endpoints"


class FaultSchema(Schema):
    operation = fields.String(required=True, validate=validate.Length(min=1, max=100),
                              metadata={"description": "a handler name"})
    fail_times = fields.Integer(required=True, strict=True, validate=validate.Range(min=-1, max=1000),
                                metadata={"description": "N next calls fail; -1 always; 0 clears"})
    latency_ms = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=60000))


class FaultStateSchema(Schema):
    fail_times = fields.Integer()
    latency_ms = fields.Integer()
    after_effect = fields.Boolean()


class FaultsSchema(Schema):
    faults = fields.Dict(keys=fields.String(), values=fields.Nested(FaultStateSchema),
                         metadata={"description": "handler name -> its fault"})


class SmsQuerySchema(Schema):
    order_id = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "one order's messages (its company's manager or the admin); "
                       "without it, every message (the admin)"})


class SmsSchema(Schema):
    phone = fields.String()
    text = fields.String()
    sent_at = UtcDateTime()
    order_id = fields.String(allow_none=True)


class KafkaSchema(Schema):
    bootstrap = fields.String()
    topics = fields.List(fields.String())


@blp.route("/faults")
class Faults(MethodView):
    @auth.roles(*auth.ROLES)
    @blp.arguments(FaultSchema())
    @blp.response(200, FaultsSchema)
    @blp.alt_response(409, description=BANK_ELSEWHERE)
    def post(self, body):
        """Inject faults into one operation of the simulated bank (admin)"""
        return {"faults": dev.set_fault(system(), auth.current(), body["operation"], body["fail_times"],
                                        latency_ms=body["latency_ms"])}

    @auth.roles(*auth.ROLES)
    @blp.response(200, FaultsSchema)
    @blp.alt_response(409, description=BANK_ELSEWHERE)
    def get(self):
        """Faults in force (admin)"""
        return {"faults": dev.faults(system(), auth.current())}


@blp.route("/sms")
class Sms(MethodView):
    @auth.roles(*auth.ROLES)
    @blp.arguments(SmsQuerySchema(), location="query")
    @blp.response(200, SmsSchema(many=True))
    @blp.alt_response(409, description="the SMS gateway is a service of its own (ESCROW_SMS_URL)")
    def get(self, query):
        """Messages the dev SMS outbox 'sent', newest first"""
        return dev.sms_sent(system(), auth.current(), query.get("order_id"))


@blp.route("/kafka")
class Kafka(MethodView):
    @auth.roles(auth.ADMIN)
    @blp.response(200, KafkaSchema)
    def get(self):
        """Where the embedded Kafka cluster listens, and its topics (admin)"""
        return {"bootstrap": system().bootstrap, "topics": kafka.topic_names(system().bootstrap)}
