"""The user-task inbox: list, claim, unclaim, complete (through Kafka, like every process change)."""
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from app.api import auth
from app.api.views import system
from app.domain.clock import as_utc, utcnow
from app.forms import list_forms, load_form
from app.messaging import commands
from app.store.orders import history_entry

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks",
                description="Open user tasks: back-office inbox")

# Which roles may work a lane's tasks; managers see their company's tasks read-only.
LANE_ROLES = {"backoffice": {auth.BACKOFFICE, auth.ADMIN}}


class TaskQuerySchema(Schema):
    process = fields.String()
    overdue = fields.Boolean()
    mine = fields.Boolean(metadata={"description": "only tasks claimed by me"})


class TaskSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    process = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    claimed_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    priority = fields.String()
    form = fields.String(allow_none=True)
    data = fields.Dict()
    can_complete = fields.Boolean()


class TaskCompletionSchema(Schema):
    """Open here; each task's form (forms/*.json) validates it and documents it in the OpenAPI."""
    class Meta:
        unknown = "include"


class FormQuerySchema(Schema):
    lang = fields.String(load_default="en", validate=lambda v: v in ("en", "ru"))


def document_forms(api, forms_dir) -> None:
    """Put every form's JSON Schema into the OpenAPI as the task-completion body."""
    names = list_forms(forms_dir)
    refs = []
    for name in names:
        component = "Form_" + name.removesuffix(".json")
        api.spec.components.schema(component, load_form(forms_dir, name).openapi_schema("3.0.3"))
        refs.append({"$ref": f"#/components/schemas/{component}"})
    operation = api.spec._paths["/api/v1/tasks/{task_id}/complete"]["post"]
    operation["requestBody"]["content"]["application/json"]["schema"] = {"oneOf": refs}


def may_work(caller: auth.Caller, lane: str | None) -> bool:
    return caller.role in LANE_ROLES.get(lane, set())


def _task_view(caller: auth.Caller, order: dict, task: dict, now) -> dict:
    due_at = as_utc(task.get("due_at"))
    return {"id": task["id"], "order_id": order["_id"], "process": task.get("process", task["step"]),
            "name": task["name"], "lane": task.get("lane"),
            "claimed_by": order.get("claims", {}).get(task["id"]),
            "created_at": as_utc(task.get("created_at")), "due_at": due_at,
            "overdue": bool(task.get("escalated") or (due_at and due_at < now)),
            "priority": task.get("priority", "normal"), "form": task.get("form"),
            "data": task.get("data", {}), "can_complete": may_work(caller, task.get("lane"))}


def _visible_tasks(caller: auth.Caller) -> list[dict]:
    query = {"open_tasks.0": {"$exists": True}}
    if caller.role == auth.MANAGER:
        query["company"] = caller.company
    elif caller.role not in {r for roles in LANE_ROLES.values() for r in roles}:
        return []
    now, found = utcnow(), []
    for order in system().repo.find(query, projection={"open_tasks": 1, "claims": 1, "company": 1,
                                                       "completed_tasks": 1}):
        for task in order["open_tasks"]:
            if task["id"] in order.get("completed_tasks", {}):
                continue  # completion accepted; the worker is applying it
            if caller.role == auth.MANAGER or may_work(caller, task.get("lane")):
                found.append(_task_view(caller, order, task, now))
    return found


def _find(caller: auth.Caller, task_id: str) -> tuple[dict, dict]:
    order = system().repo.find({"$or": [{"open_tasks.id": task_id},
                                        {f"completed_tasks.{task_id}": {"$exists": True}}]})
    order = order[0] if order else None
    if order is None or not caller.sees_company(order["company"]):
        abort(404, message="task not found")
    if task_id in order.get("completed_tasks", {}):
        abort(409, message="task already completed")
    task = next(t for t in order["open_tasks"] if t["id"] == task_id)
    if not may_work(caller, task.get("lane")):
        abort(403, message=f"role {caller.role} may not work tasks of lane {task.get('lane')}")
    return order, task


@blp.route("")
class Tasks(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Open user tasks the caller may see, most urgent first"""
        caller = auth.current()
        tasks = _visible_tasks(caller)
        if "process" in query:
            tasks = [t for t in tasks if t["process"] == query["process"]]
        if "overdue" in query:
            tasks = [t for t in tasks if t["overdue"] == query["overdue"]]
        if query.get("mine"):
            tasks = [t for t in tasks if t["claimed_by"] == caller.id]
        tasks.sort(key=lambda t: (not t["overdue"], t["due_at"] or t["created_at"]))
        pagination_parameters.item_count = len(tasks)
        first = pagination_parameters.first_item
        return tasks[first:first + pagination_parameters.page_size]


@blp.route("/<task_id>/claim")
class Claim(MethodView):
    @auth.roles(auth.BACKOFFICE, auth.ADMIN)
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Take a task: only the claimant may then complete it"""
        caller = auth.current()
        order, task = _find(caller, task_id)
        updated = system().repo.update_fields(
            {"_id": order["_id"], "$or": [{f"claims.{task_id}": {"$exists": False}},
                                          {f"claims.{task_id}": caller.id}]},
            {"$set": {f"claims.{task_id}": caller.id}})
        if updated is None:
            abort(409, message=f"task is claimed by {order['claims'][task_id]}")
        return _task_view(caller, updated, task, utcnow())


@blp.route("/<task_id>/unclaim")
class Unclaim(MethodView):
    @auth.roles(auth.BACKOFFICE, auth.ADMIN)
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Give a task back to the team"""
        caller = auth.current()
        order, task = _find(caller, task_id)
        claimant = order.get("claims", {}).get(task_id)
        if claimant not in (None, caller.id) and caller.role != auth.ADMIN:
            abort(409, message=f"task is claimed by {claimant}")
        updated = system().repo.update_fields({"_id": order["_id"]}, {"$unset": {f"claims.{task_id}": ""}})
        return _task_view(caller, updated, task, utcnow())


@blp.route("/<task_id>/complete")
class Complete(MethodView):
    @auth.roles(auth.BACKOFFICE, auth.ADMIN)
    @blp.arguments(TaskCompletionSchema)
    @blp.response(202, TaskSchema)
    def post(self, body, task_id):
        """Complete a task with its form data (validated against the task's form)"""
        caller = auth.current()
        order, task = _find(caller, task_id)
        claimant = order.get("claims", {}).get(task_id)
        if claimant not in (None, caller.id):
            abort(409, message=f"task is claimed by {claimant}")
        if task.get("form"):
            problems = load_form(current_app.config["ESCROW"].forms_dir, task["form"]).validate(
                body, task.get("data", {}))
            if problems:
                abort(422, errors={"json": problems})
        command = commands.Command(type=commands.COMPLETE_TASK, order_id=order["_id"], actor=caller.id,
                                   payload={"task_id": task_id, "data": body})
        updated = system().repo.append(
            order["_id"], outbox=[command.outbox_event()],
            history=[history_entry(caller.id, "task.completion_requested", step=task["step"], data=body)],
            set_fields={f"completed_tasks.{task_id}": {"by": caller.id, "at": utcnow()}},
            condition={f"completed_tasks.{task_id}": {"$exists": False}})
        if updated is None:
            abort(409, message="task already completed")
        return _task_view(caller, updated, task, utcnow())


@blp.route("/<task_id>/form")
class TaskForm(MethodView):
    @auth.roles(auth.BACKOFFICE, auth.ADMIN)
    @blp.arguments(FormQuerySchema, location="query")
    @blp.doc(responses={"200": {"description": "HTML fields", "content": {"text/html": {}}}})
    def get(self, query, task_id):
        """The task's form as HTML fields (labels in Russian or English), choices from task data"""
        order, task = _find(auth.current(), task_id)
        if not task.get("form"):
            abort(404, message="this task has no form")
        form = load_form(current_app.config["ESCROW"].forms_dir, task["form"])
        return Response(form.render(task.get("data", {}), lang=query["lang"]), mimetype="text/html")
