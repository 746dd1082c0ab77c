"""Embedded default only: the dev SMS outbox and fault injection, for demos and tests.

Who may use them: fault injection and the whole outbox are the administrator's; the SMS sent
for one order are visible to whoever may see that order's signing (its own company's manager)
and to the administrator. Production has none of this (settings.dev_endpoints is off).
Faults and the outbox belong to the in-process simulators; with ESCROW_BANK_URL or
ESCROW_SMS_URL set they live in those services (their own admin endpoints): Conflict here."""
from app.domain.clock import as_utc
from app.domain.caller import ADMIN, MANAGER, Caller
from app.services.errors import Conflict, Invalid, NotFound, require_role
from app.services.orders import visible_order


def _enabled(system) -> None:
    if not system.settings.dev_endpoints:
        raise NotFound("dev tools exist on the embedded default only")


def _admin(caller: Caller) -> None:
    require_role(caller, (ADMIN,), "use the dev tools")


def _in_process(adapter, method: str, what: str, variable: str, remote: str):
    """The in-process simulator, or Conflict when `variable` points at a service of its own."""
    if not hasattr(adapter, method):
        raise Conflict(f"{what} is a service of its own ({variable}): use its {remote}")
    return adapter


def sms_sent(system, caller: Caller, order_id: str | None = None) -> list[dict]:
    """Messages the dev outbox 'sent', newest first: one order's, or (admin) all."""
    _enabled(system)
    if order_id is None:
        _admin(caller)
    else:
        visible_order(system, caller, order_id)
        require_role(caller, (MANAGER, ADMIN), "read a buyer's messages")
    sms = _in_process(system.sms, "list", "SMS", "ESCROW_SMS_URL", "GET /messages")
    return [{"phone": m["phone"], "text": m["text"], "sent_at": as_utc(m["sent_at"]),
             "order_id": m.get("order_id")} for m in sms.list(order_id=order_id)]


def set_fault(system, caller: Caller, operation: str, fail_times: int, latency_ms: int = 0) -> dict:
    """The next `fail_times` calls of a handler's bank operation fail (-1 always, 0 clears)."""
    from handlers.registry import load_all
    _enabled(system)
    _admin(caller)
    if operation not in load_all():
        raise Invalid({"operation": ["not a handler name"]})
    bank = _in_process(system.bank, "set_fault", "the bank", "ESCROW_BANK_URL", "/admin/v1/set_fault")
    bank.set_fault(operation, fail_times, latency_ms=latency_ms)
    return bank.faults()


def faults(system, caller: Caller) -> dict:
    _enabled(system)
    _admin(caller)
    return _in_process(system.bank, "faults", "the bank", "ESCROW_BANK_URL", "/admin/v1/faults").faults()
