"""The manager's pages: the orders list, the new-order form, the order page with its actions
and live view. A thin layer over app/services: every rule and check is theirs."""
import math
import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from app.api.schemas import CancelSchema, OrderListQuerySchema, SignatureSchema
from app.api.views import system
from app.domain import statuses
from app.services import orders, signature
from app.domain.caller import ADMIN, ANALYST, BACKOFFICE, MANAGER
from app.services.errors import Conflict, Invalid, Throttled
from app.services.order_diagram import files_of
from app.services.order_page import order_page, page_stamp
from app.services.order_views import warnings
from app.web import order_form, order_texts
from app.web.auth import role_required
from app.web.order_texts import STATUSES, step_label

blp = Blueprint("web_orders", __name__)
blp.record_once(lambda state: order_texts.init_app(state.app))  # the pages' words, for templates
READERS = (MANAGER, BACKOFFICE, ANALYST, ADMIN)  # who may read orders (the services scope them)
PAGE_SIZE = 20
# How often an open order page asks whether the order moved. Polling rather than server-sent
# events: an open page then holds no server thread or connection (the embedded server and
# most WSGI set-ups have few), works through any proxy, and costs one cheap read while nothing
# changes (the answer is 204); an order changes a handful of times in its life.
POLL_S = 1.5
# the list's status filter: the statuses the services know, in the order of an order's life
LIST_STATUSES = [s for s in STATUSES if s in statuses.ALL]


@blp.before_request
def signed_out_while_polling():
    """A live update after the session ended: send the whole page to sign-in (htmx follows
    HX-Redirect), rather than swapping the sign-in page into the order page."""
    if request.headers.get("HX-Request") and not current_user.is_authenticated:
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = url_for("web_auth.login")
        return response
    return None


# --- list -------------------------------------------------------------------------------------

@blp.get("/orders")
@role_required(*READERS)
def order_list():
    args = {k: v for k, v in request.args.items() if k in ("status", "q", "company") and v.strip()}
    try:
        query, problem = OrderListQuerySchema().load(args), None
    except ValidationError as invalid:
        query, problem = {}, invalid.messages
    page = max(_int(request.args.get("page"), 1), 1)
    found, total = orders.find_orders(system(), current_user.caller, status=query.get("status"), search=query.get("q"),
                                      skip=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, company=query.get("company"))
    return render_template("orders/list.html", orders=found, total=total, page=page,
                           pages=max(math.ceil(total / PAGE_SIZE), 1), status=args.get("status", ""),
                           q=args.get("q", ""), company=args.get("company", ""), statuses=LIST_STATUSES, problem=problem,
                           may_create=current_user.caller.role == MANAGER)


def _int(text, default: int) -> int:
    return int(text) if text and text.isdigit() and len(text) < 7 else default


# --- new order --------------------------------------------------------------------------------

@blp.route("/orders/new", methods=["GET", "POST"])
@role_required(MANAGER)
def new_order():
    projects = orders.projects_for(current_user.caller)
    if request.method == "GET":
        values = {name: "" for name in order_form.FIELDS}
        if len(projects) == 1:
            values["project_id"] = projects[0].id
        return _form(projects, values, {}, str(uuid.uuid4()))
    key = (request.form.get("idempotency_key") or "")[:100] or str(uuid.uuid4())
    values, body, errors = order_form.read(request.form)
    if body is not None:
        try:
            order = orders.create_order(system(), current_user.caller, body, key)
        except Invalid as invalid:
            errors = order_form.flatten_errors(invalid.errors)
        except Conflict:
            # this form created an order already and was then changed and sent again
            errors = {order_form.GENERAL: [_("This form has already created an order. To create "
                                             "another one, the form now has a new key: send it again.")]}
            key = str(uuid.uuid4())
        else:
            flash(_("The order has been created. The bank is processing it."), "info")
            return redirect(url_for("web_orders.order_page_view", order_id=order["_id"]))
    # a form with errors is answered 200, like any form shown again for correction
    return _form(projects, values, errors, key)


def _form(projects, values: dict, errors: dict, key: str):
    amount = None
    try:
        amount = order_form.parse_amount(values["amount"]) if values["amount"] else None
    except order_form.AmountError:
        pass
    return render_template("orders/new.html", projects=projects, values=values, errors=errors,
                           idempotency_key=key, insured_limit=system().settings.insured_limit_kopecks,
                           warnings=warnings({"amount": amount or 0}, system().settings),
                           amount_help=order_form.AMOUNT_HELP)


# --- one order --------------------------------------------------------------------------------

@blp.get("/orders/<order_id>")
@role_required(*READERS)
def order_page_view(order_id: str):
    page = order_page(system(), current_user.caller, order_id)
    return _render("orders/show.html", page, model=files_of(page["order"]["model"]),
                   notes=_recall(order_id))


@blp.get("/orders/<order_id>/live")
@role_required(*READERS)
def order_live(order_id: str):
    """The part of the order page that changes, for htmx polling: 204 while nothing changed."""
    if request.args.get("seen") == page_stamp(system(), current_user.caller, order_id):
        return "", 204
    page = order_page(system(), current_user.caller, order_id)
    return _render("orders/_live.html", page, model=page["order"]["model"], notes={})


def _render(template: str, page: dict, **context):
    steps = page["order"]["steps"]
    labels = {s["name"]: s["label"] for s in steps}
    return render_template(template, **page, **context, poll_s=POLL_S, step_labels=labels,
                           final=statuses.is_final(page["order"]["status"]),
                           diagram_view=diagram_view(page["diagram"], labels))


def diagram_view(diagram: dict, labels: dict) -> dict:
    """What the diagram script draws: element states and the numbered badges of the undoing."""
    badges = [{"element": step, "text": str(n),
               "title": _("Undone %(n)s. of %(total)s: %(step)s", n=n, total=len(diagram["undone"]),
                          step=step_label(labels.get(step, step)))}
              for n, step in enumerate(diagram["undone"], start=1)]
    return {"states": diagram["states"], "badges": badges}


@blp.post("/orders/<order_id>/sign")
@role_required(*READERS)
def sign(order_id: str):
    try:
        code = SignatureSchema().load({"code": (request.form.get("code") or "").strip()[:20]})["code"]
        signature.sign(system(), current_user.caller, order_id, code)
    except ValidationError:
        _remember(order_id, "code", _("The code is 6 digits from the buyer's SMS."))
    except signature.CodeRefused as refused:
        _remember(order_id, "code", _code_refused(refused))
    except Conflict:
        _explain_conflict(order_id)
    else:
        flash(_("The order is signed."), "info")
    return _back(order_id)


def _code_refused(refused: signature.CodeRefused) -> str:
    if refused.reason == "wrong_code":
        return _("Wrong code. Attempts left: %(n)s.", n=refused.attempts_left)
    if refused.reason == "expired":
        return _("The code has expired. Send a new code.")
    if refused.reason == "no_attempts_left":
        return _("Too many wrong codes. Send a new code.")
    return _("No code has been sent yet. Send a new code.")


@blp.post("/orders/<order_id>/code")
@role_required(*READERS)
def new_code(order_id: str):
    try:
        signature.request_new_code(system(), current_user.caller, order_id)
    except Throttled as throttled:
        _remember(order_id, "new_code", _("A new code can be sent in %(seconds)s s.",
                                          seconds=throttled.retry_after_s))
    except Conflict:
        _explain_conflict(order_id)
    else:
        _remember(order_id, "new_code_sent", _("A new code is being sent to the buyer."))
    return _back(order_id)


@blp.post("/orders/<order_id>/cancel")
@role_required(*READERS)
def cancel(order_id: str):
    reason = (request.form.get("reason") or "").strip()
    try:
        reason = CancelSchema().load({"reason": reason[:1000]})["reason"]
    except ValidationError:
        _remember(order_id, "reason", _("Write why the order is cancelled (up to 500 characters)."))
        return _back(order_id)
    try:
        orders.cancel_order(system(), current_user.caller, order_id, reason)
    except Conflict:
        _explain_conflict(order_id)
    else:
        flash(_("The cancel is accepted: the bank is undoing what was done for the order."), "info")
    return _back(order_id)


def _explain_conflict(order_id: str) -> None:
    """Someone or something was first (a signature, a cancel, the process): say where it is now."""
    view = orders.show_order(system(), current_user.caller, order_id)
    flash(_("That is not possible any more: the order is now \u201c%(status)s\u201d.",
            status=str(STATUSES.get(view["status"], (view["status"],))[0])), "error")


# Messages for one input of the order page survive the redirect after a POST (Post/Redirect/Get)
def _remember(order_id: str, field: str, message: str) -> None:
    session["order_notes"] = {"order": order_id, field: message}


def _recall(order_id: str) -> dict:
    notes = session.pop("order_notes", None) or {}
    return notes if notes.get("order") == order_id else {}


def _back(order_id: str):
    return redirect(url_for("web_orders.order_page_view", order_id=order_id))
