"""Everything one person's order page shows, read once: the order as the API shows it, what
they may do with it now (decided by the same checks the sign and cancel use cases make), the
signing challenge, the dev SMS outbox, the diagram's element states."""
from app.domain.clock import utcnow
from app.services import dev, order_diagram, orders, signature
from app.domain.caller import Caller
from app.services.errors import Forbidden, NotFound
from app.services.order_views import order_view


def order_page(system, caller: Caller, order_id: str) -> dict:
    order = orders.visible_order(system, caller, order_id)
    history = system.repo.full_history(order)
    may_sign = signature.signing_refusal(caller, order) is None
    return {
        "order": order_view(order, system.settings, history),
        "stamp": stamp(order),
        "may_sign": may_sign,
        "may_cancel": orders.may_cancel(caller, order),
        "cancel_requested": order.get("cancel_requested") or None,
        "signing": system.signing.state(order_id, utcnow()) if may_sign else None,
        "sms": _sms(system, caller, order_id),
        "diagram": order_diagram.states_of(order, order_diagram.engine_states(system, order), history),
    }


def page_stamp(system, caller: Caller, order_id: str) -> str:
    """Changes whenever anything the page shows may have changed (a cheap read for polling)."""
    return stamp(orders.visible_order(system, caller, order_id))


def stamp(order: dict) -> str:
    # the worker's saves bump `version`; the API's writes (sign, cancel, wrong codes) add history
    last = (order.get("history") or [{}])[-1].get("id", "")
    return f"{order.get('version', 0)}.{last}"


def _sms(system, caller: Caller, order_id: str) -> list[dict] | None:
    """The order's dev SMS, for those who may read them on the embedded default; else None."""
    try:
        return dev.sms_sent(system, caller, order_id)
    except (NotFound, Forbidden):
        return None
