"""The user-task inbox: list, claim, unclaim, complete (HTTP over app.services.tasks)."""
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from app.api import auth
from app.api.schemas import UtcDateTime
from app.api.views import system
from app.forms import list_forms, load_form
from app.services import tasks

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks",
                description="Open user tasks: back-office inbox")


class TaskQuerySchema(Schema):
    process = fields.String()
    overdue = fields.Boolean()
    mine = fields.Boolean(metadata={"description": "only tasks claimed by me"})
    claimed = fields.Boolean(metadata={"description": "only claimed (true) or unclaimed (false) tasks"})


class TaskSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    process = fields.String()
    step = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    claimed_by = fields.String(allow_none=True)
    created_at = UtcDateTime()
    due_at = UtcDateTime(allow_none=True)
    overdue = fields.Boolean()
    priority = fields.String()
    form = fields.String(allow_none=True)
    data = fields.Dict(metadata={"description": "what the task's form needs (empty for those "
                                                "who may not work the task)"})
    buyer = fields.Dict(allow_none=True, metadata={"description": "the buyer from the order, to "
                                                   "compare with the candidates (workers only)"})
    can_complete = fields.Boolean()


class TaskCompletionSchema(Schema):
    """Open here; each task's form (forms/*.json) validates it and documents it in the OpenAPI."""
    class Meta:
        unknown = "include"


class FormQuerySchema(Schema):
    lang = fields.String(load_default="en", validate=validate.OneOf(["en", "ru"]))


def document_forms(api, forms_dir) -> None:
    """Put every form's JSON Schema into the OpenAPI as the task-completion body."""
    refs = []
    for name in list_forms(forms_dir):
        component = "Form_" + name.removesuffix(".json")
        api.spec.components.schema(component, load_form(forms_dir, name).openapi_schema("3.0.3"))
        refs.append({"$ref": f"#/components/schemas/{component}"})
    operation = api.spec._paths["/api/v1/tasks/{task_id}/complete"]["post"]
    operation["requestBody"]["content"]["application/json"]["schema"] = {"oneOf": refs}


@blp.route("")
class Tasks(MethodView):
    @auth.roles(auth.MANAGER, auth.BACKOFFICE, auth.ANALYST, auth.ADMIN)
    @blp.arguments(TaskQuerySchema(), location="query")
    @blp.response(200, TaskSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Open user tasks the caller may see, most urgent first"""
        found = tasks.list_tasks(system(), auth.current(), **query)
        pagination_parameters.item_count = len(found)
        first = pagination_parameters.first_item
        return found[first:first + pagination_parameters.page_size]


@blp.route("/<task_id>/claim")
class Claim(MethodView):
    @auth.roles(auth.BACKOFFICE, auth.ADMIN)
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Take a task: only the claimant may then complete it"""
        return tasks.claim(system(), auth.current(), task_id)


@blp.route("/<task_id>/unclaim")
class Unclaim(MethodView):
    @auth.roles(auth.BACKOFFICE, auth.ADMIN)
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Give a task back to the team"""
        return tasks.unclaim(system(), auth.current(), task_id)


@blp.route("/<task_id>/complete")
class Complete(MethodView):
    @auth.roles(auth.BACKOFFICE, auth.ADMIN)
    @blp.arguments(TaskCompletionSchema())
    @blp.response(202, TaskSchema)
    def post(self, body, task_id):
        """Complete a task with its form data (validated against the task's form)"""
        return tasks.complete(system(), auth.current(), task_id, body)


@blp.route("/<task_id>/form")
class TaskForm(MethodView):
    @auth.roles(auth.BACKOFFICE, auth.ADMIN)
    @blp.arguments(FormQuerySchema(), location="query")
    @blp.doc(responses={"200": {"description": "HTML fields", "content": {"text/html": {}}}})
    def get(self, query, task_id):
        """The task's form as HTML fields (labels in Russian or English), choices from task data"""
        order, task = tasks.find_task(system(), auth.current(), task_id)
        form = tasks.task_form(system(), task)
        if form is None:
            abort(404, message="this task has no form")
        return Response(form.render(task.get("data", {}), lang=query["lang"]), mimetype="text/html")
