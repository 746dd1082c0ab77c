"""The back office's pages: the inbox of user tasks and the task page with its form
(over app.services.tasks, like the API's /api/v1/tasks)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.api.views import system
from app.services import tasks
from app.domain.caller import ADMIN, BACKOFFICE
from app.services.comparison import compare
from app.services.errors import Conflict, Invalid
from app.store.users import user_by_id
from app.web.auth import _safe_next, role_required
from app.web.i18n import select_locale

blp = Blueprint("web_inbox", __name__)
PAGE_SIZE = 25
# the inbox's filters: query parameter -> arguments of tasks.list_tasks
FILTERS = {"mine": {"mine": True}, "unclaimed": {"claimed": False}, "overdue": {"overdue": True}}
FILTER_LABELS = {"": _l("All"), "mine": _l("Mine"), "unclaimed": _l("Unclaimed"), "overdue": _l("Overdue")}
FIELD_LABELS = {"last_name": _l("Last name"), "first_name": _l("First name"),
                "middle_name": _l("Middle name"), "birth_date": _l("Date of birth"),
                "passport": _l("Passport series and number"), "passport.issued_on": _l("Passport issued on"),
                "passport.issuer_code": _l("Issuer code")}


@blp.app_template_filter("person")
def person(user_id: str | None) -> str:
    """A user id as people read it: 'you', the person's name, or the id of someone unknown."""
    if not user_id:
        return ""
    if current_user.is_authenticated and user_id == current_user.caller.id:
        return _("you")
    user = user_by_id(user_id)
    return (user.name or user.username) if user is not None else user_id


def _page() -> int:
    page = request.args.get("page", "1")
    return max(int(page), 1) if page.isdigit() else 1


@blp.get("/inbox")
@role_required(BACKOFFICE, ADMIN)
def inbox():
    chosen = [name for name in FILTERS if request.args.get(name) == "1"]
    arguments = {k: v for name in chosen for k, v in FILTERS[name].items()}
    found = tasks.list_tasks(system(), current_user.caller, **arguments)
    page = _page()
    shown = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    filters = [(url_for("web_inbox.inbox", **({key: 1} if key else {})), label,
                (key == "" and not chosen) or chosen == [key]) for key, label in FILTER_LABELS.items()]
    return render_template("inbox/list.html", tasks=shown, total=len(found), page=page,
                           pages=max((len(found) + PAGE_SIZE - 1) // PAGE_SIZE, 1), filters=filters)


# what a claim and an unclaim do, and what the page says when they did
TAKING = {"claim": (tasks.claim, _l("You have taken the task.")),
          "unclaim": (tasks.unclaim, _l("The task is back in the team's queue."))}


@blp.post("/tasks/<task_id>/<any(claim, unclaim):action>")
@role_required(BACKOFFICE, ADMIN)
def take(task_id: str, action: str):
    use_case, done = TAKING[action]
    try:
        use_case(system(), current_user.caller, task_id)
        flash(str(done), "success")
    except Conflict as refused:
        flash(_conflict_message(refused), "error")
    return redirect(_safe_next(request.form.get("next")) or url_for("web_inbox.inbox"))


def _conflict_message(refused: Conflict) -> str:
    if refused.detail.get("claimed_by"):
        return _("The task is taken by %(who)s.", who=person(refused.detail["claimed_by"]))
    return _("The task has been completed already.")


@blp.route("/tasks/<task_id>", methods=["GET", "POST"])
@role_required(BACKOFFICE, ADMIN)
def task(task_id: str):
    caller, lang = current_user.caller, select_locale()
    try:
        view = tasks.show_task(system(), caller, task_id)
    except Conflict as refused:  # completed meanwhile: nothing left to do here
        flash(_conflict_message(refused), "info")
        return redirect(url_for("web_inbox.inbox"))
    form = tasks.task_form(system(), view)
    values, errors = {}, {}
    if request.method == "POST":
        data = form.from_html(request.form) if form is not None else {}
        try:
            tasks.complete(system(), caller, task_id, data, lang)
        except Invalid as refused:  # the form again, with the values and the field messages
            values, errors = {k: request.form.get(k) for k in form.field_names}, refused.errors
        except Conflict as refused:
            flash(_conflict_message(refused), "error")
            return redirect(url_for("web_inbox.task", task_id=task_id))
        else:
            flash(_("Task completed: order %(order)s moves on.", order=view["order_id"]), "success")
            return redirect(url_for("web_inbox.inbox"))
    mine = view["claimed_by"] in (None, caller.id)
    html = form.render(view["data"], values, errors, lang, action=url_for("web_inbox.task", task_id=task_id),
                       hidden={"csrf_token": generate_csrf()}) if form is not None and mine else None
    candidates = (view["data"] or {}).get("candidates") or []
    return render_template("inbox/task.html", task=view, form_html=html, may_complete=mine,
                           comparison=compare(view["buyer"], candidates), candidates=candidates,
                           field_labels=FIELD_LABELS)
