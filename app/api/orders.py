"""Orders: create, list, show, cancel (HTTP over app.services.orders)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import auth
from app.api.schemas import (CancelSchema, IdempotencyHeaderSchema, OrderCreatedSchema,
                             OrderCreateSchema, OrderListQuerySchema, OrderSchema, OrderSummarySchema)
from app.api.views import system
from app.services import orders

blp = Blueprint("orders", __name__, url_prefix="/api/v1/orders",
                description="Escrow orders: create, list, show, cancel")

_AS_JSON = OrderCreateSchema()  # dumps a validated body back to plain JSON (dates as ISO)


@blp.route("")
class Orders(MethodView):
    @auth.roles(auth.MANAGER)
    @blp.arguments(OrderCreateSchema())
    @blp.arguments(IdempotencyHeaderSchema(), location="headers", as_kwargs=True)
    @blp.response(202, OrderCreatedSchema)
    def post(self, body, key=None):
        """Create an escrow order; the saga starts in the background"""
        order = orders.create_order(system(), auth.current(), _AS_JSON.dump(body), key or None)
        return {"id": order["_id"], "status": order["status"]}

    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.arguments(OrderListQuerySchema(), location="query")
    @blp.response(200, OrderSummarySchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List the caller's orders, newest first"""
        page, total = orders.find_orders(system(), auth.current(), status=query.get("status"),
                                         search=query.get("q"), skip=pagination_parameters.first_item,
                                         limit=pagination_parameters.page_size, company=query.get("company"))
        pagination_parameters.item_count = total
        return page


@blp.route("/<order_id>")
class OrderById(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.response(200, OrderSchema)
    def get(self, order_id):
        """One order with its steps and history"""
        return orders.show_order(system(), auth.current(), order_id)


@blp.route("/<order_id>/cancel")
class Cancel(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ADMIN)
    @blp.arguments(CancelSchema())
    @blp.response(202, OrderCreatedSchema)
    def post(self, body, order_id):
        """Cancel an order: everything done so far is compensated, then it ends CANCELLED.
        A signature accepted first wins (409), and so does a cancel over a later signature."""
        order = orders.cancel_order(system(), auth.current(), order_id, body["reason"])
        return {"id": order["_id"], "status": order["status"]}
