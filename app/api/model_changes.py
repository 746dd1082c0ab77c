"""Before and after a deployment: what changed between two versions, and what deploying files
would mean for the application and the running orders (HTTP over app.services.model_diff and
app.services.model_impact)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api import auth
from app.api.model_schemas import ProblemSchema, ValidateRequestSchema
from app.api.views import system
from app.services import model_diff, model_impact

blp = Blueprint("model_changes", __name__, url_prefix="/api/v1/models",
                description="What changed between versions, what a deployment would affect (analysts, admins)")


class DiffQuerySchema(Schema):
    from_ = fields.Integer(data_key="from", required=True, validate=validate.Range(min=1))
    to = fields.Integer(required=True, validate=validate.Range(min=1))


class FieldChangeSchema(Schema):
    field = fields.String(metadata={"description": "name, type, handler, property:<name>, parameter:<id>, ..."})
    old = fields.String(allow_none=True)
    new = fields.String(allow_none=True)


class ChangeSchema(Schema):
    kind = fields.String(validate=validate.OneOf(["added", "removed", "changed"]))
    element_id = fields.String()
    element_type = fields.String()
    name = fields.String(allow_none=True)
    file = fields.String(allow_none=True)
    process = fields.String(allow_none=True)
    text = fields.String(metadata={"description": "the change in words"})
    after = fields.List(fields.String(), metadata={"description": "nodes: the elements it comes after"})
    before = fields.List(fields.String(), metadata={"description": "nodes: the elements it leads to"})
    source = fields.String(metadata={"description": "connectors: where it starts"})
    target = fields.String(metadata={"description": "connectors: where it ends"})
    fields = fields.List(fields.Nested(FieldChangeSchema),  # last: the name hides the module below it
                         metadata={"description": "changed: what changed"})


class DiffSchema(Schema):
    name = fields.String()
    from_ = fields.Integer(data_key="from")
    to = fields.Integer()
    changes = fields.List(fields.Nested(ChangeSchema))
    marks = fields.Dict(metadata={"description": "{from: {element id: removed|changed}, to: {element id: added|changed}}"})


class WaitingSpotSchema(Schema):
    element_id = fields.String()
    element_type = fields.String()
    name = fields.String(allow_none=True)
    version = fields.Integer()
    orders = fields.Integer(metadata={"description": "running orders waiting there"})


class DeployCheckSchema(Schema):
    problems = fields.List(fields.Nested(ProblemSchema), metadata={
        "description": "errors: deploy would be refused; warnings: what the analyst should know"})
    waiting = fields.List(fields.Nested(WaitingSpotSchema), metadata={
        "description": "where running orders of the model wait now"})
    orders_running = fields.Integer()
    orders_checked = fields.Integer()


@blp.route("/<string:name>/diff")
class Diff(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.arguments(DiffQuerySchema(), location="query")
    @blp.response(200, DiffSchema)
    def get(self, query, name):
        """What changed from version `from` to version `to`: elements added, removed and changed,
        each with its words, and which elements each diagram marks"""
        return model_diff.versions_diff(system(), auth.current(), name, query["from_"], query["to"])


@blp.route("/<string:name>/deploy-check")
class DeployCheck(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.arguments(ValidateRequestSchema())
    @blp.response(200, DeployCheckSchema)
    def post(self, body, name):
        """What deploying the files as the next version of `name` would affect beyond the model:
        the application's own contract with the model (errors: deploy refuses them) and running
        orders waiting at elements the new version removes or changes (warnings: they keep their
        version)"""
        return model_impact.deploy_check(system(), auth.current(), name, body["files"])
