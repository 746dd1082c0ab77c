"""Helpers shared by the handler modules (no handlers here)."""
from contextlib import contextmanager

from app.adapters.bank.errors import AlreadyExists, BankRefusal, NotFound, TransientBankError
from handlers.base import BusinessError, StepCall, TransientError


@contextmanager
def bank_errors():
    """Bank errors -> handler errors: transient -> retry, refusal/unknown -> BPMN error.
    AlreadyExists is left to each handler (it turns into success)."""
    try:
        yield
    except TransientBankError as exc:
        raise TransientError(str(exc)) from exc
    except BankRefusal as exc:
        raise BusinessError(exc.code, exc.message) from exc
    except NotFound as exc:
        raise BusinessError("bank_not_found", str(exc)) from exc


def create_once(create) -> str:
    """Run a bank creation; "already exists" (done before, under another key) is the same success."""
    try:
        return create()
    except AlreadyExists as exc:
        return exc.existing_id


def undo(record_id, action) -> bool:
    """Compensate `record_id` with `action`; False when there is nothing (left) to undo."""
    if not record_id:
        return False
    try:
        action(record_id)
    except NotFound:
        return False
    return True


def results(call: StepCall) -> dict:
    return call.order.get("results") or {}


def require_result(call: StepCall, name: str):
    """A fact an earlier step must have recorded (a model ordering bug otherwise)."""
    value = results(call).get(name)
    if value in (None, ""):
        raise BusinessError("precondition_failed", f"order result {name!r} is missing")
    return value


def depositor(call: StepCall) -> dict:
    return (call.order.get("data") or {}).get("depositor") or {}


def order_data(call: StepCall) -> dict:
    return call.order.get("data") or {}
