"""Signing by SMS code: submit the code, ask for a new one."""
import time

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from app.api import auth
from app.api.schemas import OrderCreatedSchema, OrderSchema, SignatureSchema
from app.api.views import order_view, system, visible_order
from app.domain import statuses
from app.domain.clock import utcnow
from app.messaging import commands
from app.signing import SigningError, Throttled
from app.store.orders import history_entry

blp = Blueprint("signing", __name__, url_prefix="/api/v1/orders",
                description="The buyer signs the order with a one-time SMS code")


def _awaiting_signature(order: dict) -> None:
    if order["status"] != statuses.AWAITING_SIGNATURE:
        abort(409, message=f"order is {order['status']}, not awaiting a signature")


@blp.route("/<order_id>/signature")
class Signature(MethodView):
    @auth.roles(auth.MANAGER)
    @blp.arguments(SignatureSchema)
    @blp.response(200, OrderSchema)
    @blp.alt_response(422, description="wrong, expired or dead code; `attempts_left` says how many tries remain")
    def post(self, body, order_id):
        """Submit the code the buyer received; the order goes SIGNED"""
        caller, sys = auth.current(), system()
        order = visible_order(caller, order_id)
        _awaiting_signature(order)
        result = sys.signing.verify(order_id, body["code"], utcnow())
        if not result.ok:
            sys.repo.append(order_id, history=[history_entry(caller.id, "signature.rejected",
                                                             reason=result.reason,
                                                             attempts_left=result.attempts_left)])
            return _refused(result)
        evidence = sys.signing.state(order_id, utcnow())["evidence"]  # phone, times, document hash
        command = commands.Command(type=commands.SIGNATURE_CONFIRMED, order_id=order_id, actor=caller.id,
                                   payload={"evidence": evidence})
        sys.repo.append(order_id, outbox=[command.outbox_event()],
                        history=[history_entry(caller.id, "signature.confirmed", **evidence)])
        return order_view(_wait_for(order_id, statuses.SIGNED, sys.settings.sign_wait_s))


def _refused(result):
    """422 in flask-smorest's error shape, plus how many tries remain."""
    response = jsonify(code=422, status="Unprocessable Entity", reason=result.reason,
                       attempts_left=result.attempts_left,
                       errors={"json": {"code": [_REASONS.get(result.reason, result.reason)]}})
    response.status_code = 422
    return response


_REASONS = {"wrong_code": "the code is wrong", "expired": "the code has expired; request a new one",
            "no_attempts_left": "too many wrong codes; request a new one",
            "no_code": "no code was sent; request one"}


def _wait_for(order_id: str, status: str, timeout_s: float) -> dict:
    """The signature is recorded; give the process a moment to finish so the answer shows it."""
    deadline = time.monotonic() + timeout_s
    order = system().repo.get(order_id)
    while order["status"] != status and time.monotonic() < deadline:
        time.sleep(0.02)
        order = system().repo.get(order_id)
    return order


@blp.route("/<order_id>/signature/code")
class NewCode(MethodView):
    @auth.roles(auth.MANAGER)
    @blp.response(202, OrderCreatedSchema)
    @blp.alt_response(429, description="a new code was sent too recently, or today's cap is reached")
    def post(self, order_id):
        """Send the buyer a new code (at most once a minute and a few times a day)"""
        caller, sys = auth.current(), system()
        order = visible_order(caller, order_id)
        _awaiting_signature(order)
        try:
            sys.signing.request_new_code(order_id, utcnow())
        except Throttled as throttled:
            abort(429, message=str(throttled), retry_after_s=throttled.retry_after_s,
                  headers={"Retry-After": str(int(throttled.retry_after_s))})
        except SigningError as refused:
            abort(409, message=str(refused))
        command = commands.Command(type=commands.NEW_CODE_REQUESTED, order_id=order_id, actor=caller.id)
        sys.repo.append(order_id, outbox=[command.outbox_event()])
        return {"id": order_id, "status": order["status"]}
