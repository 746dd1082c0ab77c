"""Embedded default only: fault injection, the SMS outbox, where Kafka is. Absent in production.

Faults and the outbox belong to the in-process simulators; with ESCROW_BANK_URL or
ESCROW_SMS_URL set they live in those services (their own admin endpoints), and these answer 409.
"""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from app.api import auth
from app.api.views import system
from app.domain.clock import as_utc
from app.messaging import kafka

blp = Blueprint("dev", __name__, url_prefix="/api/v1/dev",
                description="Embedded default only: drive the simulated bank, read sent SMS")


class FaultSchema(Schema):
    operation = fields.String(required=True, metadata={"description": "a handler name"})
    fail_times = fields.Integer(required=True, strict=True, validate=validate.Range(min=-1),
                                metadata={"description": "N next calls fail; -1 always; 0 clears"})
    latency_ms = fields.Integer(load_default=0, validate=validate.Range(min=0, max=60000))


class SmsQuerySchema(Schema):
    order_id = fields.String()


@blp.route("/faults")
class Faults(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.arguments(FaultSchema)
    def post(self, body):
        """Inject faults into one operation of the simulated bank"""
        from handlers.registry import load_all
        if body["operation"] not in load_all():
            abort(422, errors={"json": {"operation": ["not a handler name"]}})
        bank = _in_process(system().bank, "set_fault", "the bank", "ESCROW_BANK_URL", "/admin/v1/set_fault")
        bank.set_fault(body["operation"], body["fail_times"], latency_ms=body["latency_ms"])
        return {"faults": bank.faults()}

    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    def get(self):
        """Faults in force"""
        return {"faults": _in_process(system().bank, "faults", "the bank", "ESCROW_BANK_URL",
                                      "/admin/v1/faults").faults()}


@blp.route("/sms")
class Sms(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.arguments(SmsQuerySchema, location="query")
    def get(self, query):
        """Messages the dev SMS outbox 'sent', newest first"""
        sms = _in_process(system().sms, "list", "SMS", "ESCROW_SMS_URL", "GET /messages")
        messages = sms.list(order_id=query.get("order_id"))
        return [{"phone": m["phone"], "text": m["text"], "sent_at": as_utc(m["sent_at"]).isoformat()}
                for m in messages]


@blp.route("/kafka")
class Kafka(MethodView):
    @auth.roles(auth.ADMIN)
    def get(self):
        """Where the embedded Kafka cluster listens, and its topics"""
        return {"bootstrap": system().bootstrap, "topics": kafka.topic_names(system().bootstrap)}


def _in_process(adapter, method: str, what: str, variable: str, remote: str):
    """The in-process simulator, or 409 when `variable` points at a service of its own."""
    if not hasattr(adapter, method):
        abort(409, message=f"{what} is a service of its own ({variable}): use its {remote}")
    return adapter
