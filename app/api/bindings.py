"""What models bind to: handlers for service tasks, forms for user tasks (HTTP over
app.services.bindings)."""
from flask.views import MethodView
from flask_babel import get_locale
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api import auth
from app.api.views import system
from app.services import bindings

blp = Blueprint("bindings", __name__, url_prefix="/api/v1",
                description="Handlers and forms that process models bind to (analysts, admins)")


class ParameterSchema(Schema):
    name = fields.String()
    description = fields.String()


class HandlerSchema(Schema):
    name = fields.String(metadata={"description": "what <spiffworkflow:serviceTaskOperator id> names"})
    description = fields.String()
    parameters = fields.List(fields.Nested(ParameterSchema), metadata={
        "description": "operator parameters it reads (each a Python expression over the process data)"})
    read_only = fields.Boolean(metadata={"description": "changes nothing in the bank"})
    compensation = fields.String(allow_none=True, metadata={
        "description": "the handler that undoes it: bind it to the step's compensation handler"})
    compensates = fields.String(allow_none=True, metadata={"description": "the handler whose effect it undoes"})


class FormFieldSchema(Schema):
    name = fields.String()
    label = fields.String()
    type = fields.String(allow_none=True)
    required = fields.Boolean()
    choices = fields.List(fields.String(), metadata={"description": "the values it accepts, if a fixed list"})
    choices_from = fields.String(allow_none=True, metadata={"description": "list in the task data it chooses from"})


class FormSchema(Schema):
    name = fields.String(metadata={"description": "what the user task's formJsonSchemaFilename names"})
    title = fields.String(metadata={"description": "in the request's language (Accept-Language)"})
    description = fields.String()
    problem = fields.String(allow_none=True, metadata={"description": "why the form cannot be used, if so"})
    fields = fields.List(fields.Nested(FormFieldSchema))  # last: the name hides the module below it


@blp.route("/handlers")
class Handlers(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.response(200, HandlerSchema(many=True))
    def get(self):
        """Every handler a service task can name, with its description, parameters, whether it is
        read-only and which handler undoes it"""
        return bindings.handlers(system(), auth.current())


@blp.route("/forms")
class Forms(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.response(200, FormSchema(many=True))
    def get(self):
        """Every form in forms/ a user task can name, with its title and fields"""
        return bindings.forms(system(), auth.current(), str(get_locale() or "en"))
