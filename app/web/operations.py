"""The operator's pages: incidents (retry, resolve with a reason) and the dashboard
(over app.services.incidents and app.services.dashboard, like the API)."""
from babel.dates import format_timedelta
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, validate

from app.api.incidents import ResolveSchema
from app.api.views import system
from app.domain import statuses
from app.services import dashboard as figures
from app.services import incidents
from app.domain.caller import ADMIN
from app.services.errors import Conflict, NotFound
from app.web.auth import role_required

blp = Blueprint("web_operations", __name__)
STATUS_LABELS = {"open": _l("open"), "retried": _l("retried"), "resolved": _l("resolved"),
                 "superseded": _l("superseded"), "all": _l("all")}
REASON_LENGTH = next(v for v in ResolveSchema().fields["reason"].validators if isinstance(v, validate.Length))
ROW_CONTEXT = {"status_labels": STATUS_LABELS, "reason_length": REASON_LENGTH}  # what a row shows
WATCH_POLLS = 30   # a retried or resolved incident's row is re-read each second, this many times


def _status_filter() -> str:
    status = request.args.get("status", "open")
    return status if status in STATUS_LABELS else "open"


def _incidents_page(resolving: dict | None = None):
    """The list; `resolving` = {id, reason, errors} re-shows a resolve form that was refused."""
    status = _status_filter()
    found = incidents.list_incidents(system(), current_user.caller, None if status == "all" else status)
    watch = request.args.get("watch")
    if watch and all(i["id"] != watch for i in found):
        try:   # the incident just acted on stays in sight, even once the filter no longer matches
            found.insert(0, incidents.find_incident(system(), current_user.caller, watch))
        except NotFound:
            watch = None
    filters = [(url_for("web_operations.incident_list", status=key), label, key == status)
               for key, label in STATUS_LABELS.items()]
    return render_template("operations/incidents.html", incidents=found, filters=filters, watch=watch,
                           polls=WATCH_POLLS, resolving=resolving or {}, **ROW_CONTEXT)


@blp.get("/incidents")
@role_required(ADMIN)
def incident_list():
    return _incidents_page()


@blp.get("/incidents/<incident_id>/row")
@role_required(ADMIN)
def incident_row(incident_id: str):
    """One row, for the page to follow an incident until the worker has acted on it."""
    incident = incidents.find_incident(system(), current_user.caller, incident_id)
    polls = request.args.get("polls", "0")
    polls = int(polls) if polls.isdigit() else 0
    return render_template("operations/_incident_row.html", incident=incident, watch=incident_id,
                           polls=polls, resolving={}, **ROW_CONTEXT)


def _back_to(incident_id: str):
    return redirect(url_for("web_operations.incident_list", status=_status_filter(), watch=incident_id))


@blp.post("/incidents/<incident_id>/retry")
@role_required(ADMIN)
def retry(incident_id: str):
    try:
        incidents.retry(system(), current_user.caller, incident_id)
        flash(_("Retry requested: the step runs again, and the row below shows the result."), "success")
    except Conflict:
        flash(_("This incident is closed already."), "error")
    return _back_to(incident_id)


@blp.post("/incidents/<incident_id>/resolve")
@role_required(ADMIN)
def resolve(incident_id: str):
    reason = request.form.get("reason", "")
    try:
        body = ResolveSchema().load({"reason": reason})   # the API's rule for the reason
    except ValidationError as invalid:
        errors = invalid.messages.get("reason", [])
        return _incidents_page({"id": incident_id, "reason": reason, "errors": _reason_errors(errors)})
    try:
        incidents.resolve(system(), current_user.caller, incident_id, body["reason"])
        flash(_("Marked as resolved by hand: the process goes on from the next step."), "success")
    except Conflict:
        flash(_("This incident is closed already."), "error")
    return _back_to(incident_id)


def _reason_errors(messages) -> list[str]:
    """The schema's refusal in the reader's language (the rule itself stays in the schema)."""
    return [_("Give the reason: %(min)s to %(max)s characters.", min=REASON_LENGTH.min,
              max=REASON_LENGTH.max)] if messages else []


@blp.app_template_filter("age")
def age(since, now) -> str:
    """How long ago, in the reader's language ('3 hours', '3 часа')."""
    return format_timedelta(now - since, locale=str(get_locale()))


@blp.get("/dashboard")
@role_required(ADMIN)
def dashboard():
    summary = figures.summary(system(), current_user.caller)
    known = list(statuses.ALL) + sorted(set(summary["by_status"]) - set(statuses.ALL))
    return render_template("operations/dashboard.html", summary=summary, statuses=known)
