"""Signing by SMS code: submit the code, ask for a new one (HTTP over app.services.signature)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import auth
from app.api.schemas import OrderCreatedSchema, OrderSchema, SignatureSchema
from app.api.views import system
from app.services import signature
from app.services.order_views import order_view

blp = Blueprint("signing", __name__, url_prefix="/api/v1/orders",
                description="The buyer signs the order with a one-time SMS code")


@blp.route("/<order_id>/signature")
class Signature(MethodView):
    @auth.roles(auth.MANAGER)
    @blp.arguments(SignatureSchema())
    @blp.response(200, OrderSchema)
    @blp.alt_response(422, description="wrong, expired or dead code; `attempts_left` says how many tries remain")
    @blp.alt_response(409, description="not awaiting a signature: signed already, or being cancelled")
    def post(self, body, order_id):
        """Submit the code the buyer received; the order goes SIGNED"""
        sys = system()
        order = signature.sign(sys, auth.current(), order_id, body["code"])
        return order_view(order, sys.settings, sys.repo.full_history(order))


@blp.route("/<order_id>/signature/code")
class NewCode(MethodView):
    @auth.roles(auth.MANAGER)
    @blp.response(202, OrderCreatedSchema)
    @blp.alt_response(429, description="a new code was sent too recently, or today's cap is reached")
    def post(self, order_id):
        """Send the buyer a new code (at most once a minute and a few times a day)"""
        order = signature.request_new_code(system(), auth.current(), order_id)
        return {"id": order_id, "status": order["status"]}
