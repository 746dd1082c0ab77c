"""Orders: create, find, show, cancel."""
import re
import time

from app.domain import statuses
from app.domain.clock import utcnow
from app.domain.ids import new_id
from app.domain.plain import canonical_hash
from app.messaging import commands
from app.process_models import ORDER_PROCESS
from app.domain.caller import ADMIN, BACKOFFICE, MANAGER, Caller
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, require_role
from app.services.order_views import order_summary, order_view
from app.store.documents import Project
from app.store.orders import DuplicateOrder, context_marker, history_entry, idempotency_scope

CANCELLERS = (MANAGER, BACKOFFICE, ADMIN)
SUMMARY_FIELDS = {"process": 0, "outbox": 0, "history": 0}
# what a search term is matched against (case-insensitive substring)
SEARCHED = ("data.depositor.last_name", "data.depositor.first_name", "data.depositor.middle_name",
            "data.agreement.number", "data.depositor.passport.number")


def visible_order(system, caller: Caller, order_id: str) -> dict:
    """The order if the caller may see it; NotFound otherwise (no hint that it exists)."""
    order = system.repo.get(order_id)
    if order is None or not caller.sees_company(order["company"]):
        raise NotFound("order not found")
    return order


PROJECT_TTL_S = 5.0  # projects change rarely (seeded, or by the bank): a change reaches creates this soon
_projects: dict[str, tuple[float, Project]] = {}


def project(project_id: str) -> Project | None:
    """A project by id, cached a few seconds: every create reads one."""
    cached = _projects.get(project_id)
    if cached and time.monotonic() - cached[0] < PROJECT_TTL_S:
        return cached[1]
    found = Project.objects(id=project_id).first()
    if found is not None:
        _projects[project_id] = (time.monotonic(), found)
    return found


def projects_for(caller: Caller) -> list[Project]:
    query = Project.objects(developer=caller.company) if caller.role == MANAGER else Project.objects()
    return list(query.order_by("id"))


def new_order_document(system, caller: Caller, project: Project, data: dict, key: str | None) -> dict:
    model = system.catalog.current(ORDER_PROCESS)
    order_id, now = new_id("ord"), utcnow()
    start = commands.Command(type=commands.START, order_id=order_id, actor=caller.id)
    return {
        "_id": order_id, "company": caller.company, "created_by": caller.id,
        "created_at": now, "updated_at": now,
        **({"idempotency_scope": idempotency_scope(caller.company, key)} if key else {}),
        "request_hash": canonical_hash(data), "data": data, "status": statuses.DRAFT, "version": 0,
        "project": {"id": project.id, "name": project.name, "developer": project.developer,
                    "developer_account": project.developer_account},
        "model": dict(model),
        "process": None, "steps": [], "results": {}, "open_tasks": [], "claims": {},
        "incidents": [], "next_wake_at": None, "applied_commands": [], "cancel_requested": {},
        "outbox": [start.outbox_event(), context_marker()],
        "history": [history_entry(caller.id, "order.created", at=now, status=statuses.DRAFT)],
    }


def create_order(system, caller: Caller, data: dict, idempotency_key: str | None = None) -> dict:
    """`data`: the validated request as plain JSON (app.api.schemas.OrderCreateSchema).
    The same key with the same body returns the first order; with another body, Conflict."""
    require_role(caller, (MANAGER,), "create orders")
    found = project(data["project_id"])
    if found is None or found.developer != caller.company:
        raise Invalid({"project_id": ["unknown project for your company"]})
    try:
        return system.repo.create(new_order_document(system, caller, found, data, idempotency_key))
    except DuplicateOrder as duplicate:
        order = system.repo.get(duplicate.order_id)
        if order.get("request_hash") != canonical_hash(data):
            raise Conflict("Idempotency-Key was already used with a different body") from None
        return order


def find_orders(system, caller: Caller, status: str | None = None, search: str | None = None,
                skip: int = 0, limit: int = 20, company: str | None = None) -> tuple[list[dict], int]:
    """A page of order summaries the caller may see, newest first, and the total count;
    `company` narrows to one company (a manager's own is the only one they can see)."""
    query: dict = {}
    if caller.role == MANAGER:
        query["company"] = caller.company
    if company and query.setdefault("company", company) != company:
        return [], 0
    if status:
        query["status"] = status
    if search and search.strip():
        pattern = re.compile(re.escape(search.strip()), re.IGNORECASE)
        query["$or"] = [{path: pattern} for path in SEARCHED]
    total = system.repo.count(query)
    page = system.repo.find(query, skip=skip, limit=limit, projection=SUMMARY_FIELDS)
    return [order_summary(o) for o in page], total


def show_order(system, caller: Caller, order_id: str) -> dict:
    order = visible_order(system, caller, order_id)
    return order_view(order, system.settings, system.repo.full_history(order))


def cancel_refusal(caller: Caller, order: dict) -> ServiceError | None:
    """Why a cancel by the caller would be refused now; None when it would be accepted (or
    change nothing: a cancel accepted earlier stands)."""
    if caller.role not in CANCELLERS:
        return Forbidden(f"role {caller.role} may not cancel orders")
    if order.get("signature_accepted"):
        return Conflict("the order has been signed: it cannot be cancelled")
    if statuses.is_final(order["status"]):
        return Conflict(f"order is {order['status']}: it cannot be cancelled")
    return None


def may_cancel(caller: Caller, order: dict) -> bool:
    """Whether a cancel would start something now (none was accepted before)."""
    return cancel_refusal(caller, order) is None and not order.get("cancel_requested")


def cancel_order(system, caller: Caller, order_id: str, reason: str) -> dict:
    """Accept a cancel: everything done is compensated, then the order ends CANCELLED.

    One conditional write decides between a cancel and a signature (whichever comes first
    wins; the other is refused with Conflict). A repeated cancel changes nothing."""
    if caller.role not in CANCELLERS:  # before the lookup: a role that may not cancel learns nothing
        raise cancel_refusal(caller, {})
    order = visible_order(system, caller, order_id)
    refusal = cancel_refusal(caller, order)
    if refusal:
        raise refusal
    command = commands.Command(type=commands.CANCEL, order_id=order_id, actor=caller.id,
                               payload={"reason": reason})
    request = {"command_id": command.id, "reason": reason, "actor": caller.id, "at": utcnow()}
    updated = system.repo.append(
        order_id, outbox=[command.outbox_event()],
        history=[history_entry(caller.id, "order.cancel_requested", reason=reason)],
        set_fields={"cancel_requested": request},
        condition={"cancel_requested": {}, "signature_accepted": None,
                   "status": {"$nin": list(statuses.FINAL)}})
    if updated is not None:
        return updated
    order = system.repo.get(order_id)
    refusal = cancel_refusal(caller, order)
    if refusal:
        raise refusal
    return order  # cancelled already: the first cancel stands
