"""Orders: create, list, show, cancel."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from app.api import auth
from app.api.schemas import (CancelSchema, OrderCreatedSchema, OrderCreateSchema,
                             OrderListQuerySchema, OrderSchema, OrderSummarySchema)
from app.api.views import order_summary, order_view, system, visible_order
from app.domain import statuses
from app.domain.clock import utcnow
from app.domain.plain import canonical_hash
from app.domain.ids import new_id
from app.messaging import commands
from app.process_models import ORDER_PROCESS
from app.store.documents import Project
from app.store.orders import DuplicateOrder, context_marker, history_entry, idempotency_scope

blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders",
                description="Escrow orders: create, list, show, cancel")


def new_order_document(caller: auth.Caller, project: Project, data: dict, key: str | None) -> dict:
    model = system().catalog.current(ORDER_PROCESS)
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


_AS_JSON = OrderCreateSchema()  # dumps a validated body back to plain JSON (dates as ISO)


@blp.route("")
class Orders(MethodView):
    @auth.roles(auth.MANAGER)
    @blp.arguments(OrderCreateSchema)
    @blp.response(202, OrderCreatedSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                          "schema": {"type": "string"},
                          "description": "a retried create with the same key returns the same order"}])
    def post(self, body):
        """Create an escrow order; the saga starts in the background"""
        caller = auth.current()
        project = Project.objects(id=body["project_id"]).first()
        if project is None or project.developer != caller.company:
            abort(422, errors={"json": {"project_id": ["unknown project for your company"]}})
        data = _AS_JSON.dump(body)
        key = request.headers.get("Idempotency-Key") or None
        repo = system().repo
        try:
            order = repo.create(new_order_document(caller, project, data, key))
        except DuplicateOrder as duplicate:
            order = repo.get(duplicate.order_id)
            if order.get("request_hash") != canonical_hash(data):
                abort(409, message="Idempotency-Key was already used with a different body")
        return {"id": order["_id"], "status": order["status"]}

    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.arguments(OrderListQuerySchema, location="query")
    @blp.response(200, OrderSummarySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List the caller's orders, newest first"""
        caller = auth.current()
        mongo_query = {}
        if caller.role == auth.MANAGER:
            mongo_query["company"] = caller.company
        if query.get("status"):
            mongo_query["status"] = query["status"]
        repo = system().repo
        pagination_parameters.item_count = repo.count(mongo_query)
        page = repo.find(mongo_query, skip=pagination_parameters.first_item,
                         limit=pagination_parameters.page_size,
                         projection={"process": 0, "outbox": 0, "history": 0})
        return [order_summary(o) for o in page]


@blp.route("/<order_id>")
class OrderById(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.response(200, OrderSchema)
    def get(self, order_id):
        """One order with its steps and history"""
        order = visible_order(auth.current(), order_id)
        return order_view(order, system().repo.full_history(order))


@blp.route("/<order_id>/cancel")
class Cancel(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ADMIN)
    @blp.arguments(CancelSchema)
    @blp.response(202, OrderCreatedSchema)
    def post(self, body, order_id):
        """Cancel an order: everything done so far is compensated, then it ends CANCELLED"""
        caller = auth.current()
        order = visible_order(caller, order_id)
        if statuses.is_final(order["status"]):
            abort(409, message=f"order is {order['status']}: it cannot be cancelled")
        command = commands.Command(type=commands.CANCEL, order_id=order_id, actor=caller.id,
                                   payload={"reason": body["reason"]})
        request_note = {"command_id": command.id, "reason": body["reason"], "actor": caller.id,
                        "at": utcnow()}
        # The first cancel wins; a second one (double click, retry) changes nothing.
        system().repo.append(order_id, outbox=[command.outbox_event()],
                             history=[history_entry(caller.id, "order.cancel_requested", reason=body["reason"])],
                             set_fields={"cancel_requested": request_note},
                             condition={"cancel_requested": {}})
        return {"id": order_id, "status": system().repo.get(order_id)["status"]}
