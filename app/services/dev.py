"""Embedded default only: the dev SMS outbox and fault injection, for demos and tests.

Who may use them: fault injection and the whole outbox are the administrator's; the SMS sent
for one order are visible to whoever may see that order's signing (its own company's manager)
and to the administrator. Production has none of this (settings.dev_endpoints is off)."""
from app.domain.clock import as_utc
from app.services.caller import ADMIN, MANAGER, Caller
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.orders import visible_order


def _enabled(system) -> None:
    if not system.settings.dev_endpoints:
        raise NotFound("dev tools exist on the embedded default only")


def _admin(caller: Caller) -> None:
    if caller.role != ADMIN:
        raise Forbidden(f"role {caller.role} may not use the dev tools")


def sms_sent(system, caller: Caller, order_id: str | None = None) -> list[dict]:
    """Messages the dev outbox 'sent', newest first: one order's, or (admin) all."""
    _enabled(system)
    if order_id is None:
        _admin(caller)
    else:
        visible_order(system, caller, order_id)
        if caller.role not in (MANAGER, ADMIN):
            raise Forbidden(f"role {caller.role} may not read a buyer's messages")
    return [{"phone": m["phone"], "text": m["text"], "sent_at": as_utc(m["sent_at"]),
             "order_id": m.get("order_id")} for m in system.sms.list(order_id=order_id)]


def set_fault(system, caller: Caller, operation: str, fail_times: int, latency_ms: int = 0) -> dict:
    """The next `fail_times` calls of a handler's bank operation fail (-1 always, 0 clears)."""
    from handlers.registry import load_all
    _enabled(system)
    _admin(caller)
    if operation not in load_all():
        raise Invalid({"operation": ["not a handler name"]})
    system.bank.set_fault(operation, fail_times, latency_ms=latency_ms)
    return system.bank.faults()


def faults(system, caller: Caller) -> dict:
    _enabled(system)
    _admin(caller)
    return system.bank.faults()
