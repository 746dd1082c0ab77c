"""Signing by SMS code: send (and re-send) the code, expire it on the timer, revoke it."""
from app.adapters.sms.errors import SmsRejected, SmsTransientError
from app.domain.clock import iso
from app.domain.validation import normalize_phone
from app.signing import document_hash
from app.store.signing import EXPIRED, REVOKED
from handlers._common import depositor, order_data
from handlers.base import BusinessError, StepCall, StepOutcome, TransientError
from handlers.registry import handler


@handler("signing.send_code", undo="signing.revoke_code")
def send_code(call: StepCall) -> StepOutcome:
    """Issue a code for the current order data and text it to the depositor. A redelivery
    (same idempotency key) sends nothing; a re-run after a granted request sends a new code."""
    doc_hash = document_hash(order_data(call))
    try:
        issued = call.services.signing.issue_code(call.order_id,
                                                  normalize_phone(depositor(call).get("phone")),
                                                  doc_hash, call.now, call.idempotency_key)
    except SmsTransientError as exc:
        raise TransientError(str(exc)) from exc
    except SmsRejected as exc:
        raise BusinessError("sms_rejected", str(exc)) from exc
    return StepOutcome(results={"signing_sent_at": iso(issued.sent_at),
                                "signing_expires_at": iso(issued.expires_at),
                                "document_hash": doc_hash})


@handler("signing.expire_code")
def expire_code(call: StepCall) -> StepOutcome:
    """Timer: the code's lifetime is over. The same answer when a run that died after expiring
    it repeats the step."""
    if call.services.signing.expire(call.order_id, call.now) or _status(call) == EXPIRED:
        return StepOutcome(results={"signing_expired_at": iso(call.now)})
    return StepOutcome()


@handler("signing.revoke_code")
def revoke_code(call: StepCall) -> StepOutcome:
    """Compensation: no code of this order may be used any more (no-op if none). The same answer
    when a run that died after revoking it repeats the step."""
    if call.services.signing.revoke(call.order_id, call.now) or _status(call) == REVOKED:
        return StepOutcome(results={"signing_revoked": True})
    return StepOutcome()


def _status(call: StepCall) -> str | None:
    return (call.services.signing.state(call.order_id, call.now) or {}).get("status")
