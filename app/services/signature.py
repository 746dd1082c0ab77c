"""The buyer signs by SMS code: submit the code, ask for a new one."""
import time

from app.domain import statuses
from app.domain.clock import utcnow
from app.messaging import commands
from app.domain.caller import MANAGER, Caller
from app.services.errors import Conflict, Forbidden, Invalid, ServiceError, Throttled
from app.services.orders import visible_order
from app.signing import SigningError, Throttled as CodeThrottled
from app.store.orders import history_entry

REASONS = {"wrong_code": "the code is wrong", "expired": "the code has expired; request a new one",
           "no_attempts_left": "too many wrong codes; request a new one",
           "no_code": "no code was sent; request one"}


class CodeRefused(Invalid):
    """A wrong, expired or spent code: `reason` and `attempts_left` say which and how many."""

    def __init__(self, reason: str, attempts_left: int):
        super().__init__({"code": [REASONS.get(reason, reason)]}, REASONS.get(reason, reason),
                         reason=reason, attempts_left=attempts_left)
        self.reason = reason
        self.attempts_left = attempts_left


def signing_refusal(caller: Caller, order: dict) -> ServiceError | None:
    """Why the caller may not sign (or ask a new code for) this order now; None if they may."""
    if caller.role != MANAGER:
        return Forbidden(f"role {caller.role} may not sign for the buyer")
    if order["status"] != statuses.AWAITING_SIGNATURE or order.get("cancel_requested"):
        state = "being cancelled" if order.get("cancel_requested") else order["status"]
        return Conflict(f"order is {state}, not awaiting a signature")
    return None


def _awaiting_signature(system, caller: Caller, order_id: str) -> dict:
    if caller.role != MANAGER:  # before the lookup: a role that may not sign learns nothing
        raise signing_refusal(caller, {})
    order = visible_order(system, caller, order_id)
    refusal = signing_refusal(caller, order)
    if refusal:
        raise refusal
    return order


def sign(system, caller: Caller, order_id: str, code: str) -> dict:
    """Check the code; on success the order goes SIGNED. Exactly one of a signature and a cancel
    is accepted (one conditional write on the order); a repeated right code gets Conflict."""
    _awaiting_signature(system, caller, order_id)
    result = system.signing.verify(order_id, code, utcnow())
    if not result.ok:
        system.repo.append(order_id, history=[history_entry(
            caller.id, "signature.rejected", reason=result.reason, attempts_left=result.attempts_left)])
        raise CodeRefused(result.reason, result.attempts_left)
    evidence = system.signing.state(order_id, utcnow())["evidence"]  # phone, times, document hash
    command = commands.Command(type=commands.SIGNATURE_CONFIRMED, order_id=order_id, actor=caller.id,
                               payload={"evidence": evidence})
    accepted = system.repo.append(
        order_id, outbox=[command.outbox_event()],
        history=[history_entry(caller.id, "signature.confirmed", **evidence)],
        set_fields={"signature_accepted": {"command_id": command.id, "actor": caller.id, "at": utcnow()}},
        condition={"signature_accepted": None, "cancel_requested": {},
                   "status": statuses.AWAITING_SIGNATURE})
    if accepted is None:
        order = system.repo.get(order_id)
        if order.get("signature_accepted"):
            raise Conflict("the order is already signed")
        raise Conflict("the order is being cancelled: it cannot be signed")
    return _wait_for(system, order_id, statuses.SIGNED, system.settings.sign_wait_s)


def _wait_for(system, order_id: str, status: str, timeout_s: float) -> dict:
    """The signature is recorded; give the process a moment to finish so the answer shows it."""
    deadline = time.monotonic() + timeout_s
    order = system.repo.get(order_id)
    while order["status"] != status and time.monotonic() < deadline:
        time.sleep(0.02)
        order = system.repo.get(order_id)
    return order


def request_new_code(system, caller: Caller, order_id: str) -> dict:
    """Send the buyer a new code (at most once a minute and a few times a day)."""
    order = _awaiting_signature(system, caller, order_id)
    try:
        system.signing.request_new_code(order_id, utcnow())
    except CodeThrottled as throttled:
        raise Throttled(str(throttled), int(throttled.retry_after_s)) from None
    except SigningError as refused:
        raise Conflict(str(refused)) from None
    command = commands.Command(type=commands.NEW_CODE_REQUESTED, order_id=order_id, actor=caller.id)
    system.repo.append(order_id, outbox=[command.outbox_event()])
    return order


def signing_state(system, caller: Caller, order_id: str) -> dict | None:
    """What the order page shows of the signing challenge (never the code or its hash)."""
    visible_order(system, caller, order_id)
    return system.signing.state(order_id, utcnow())
