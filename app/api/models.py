"""Process models: list versions, deploy a new version (analysts)."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from app.api import auth
from app.api.schemas import UtcDateTime
from app.api.views import system
from app.engine import ModelError

blp = Blueprint("models", __name__, url_prefix="/api/v1/models",
                description="Versioned BPMN process models")


class ModelSchema(Schema):
    id = fields.String()
    name = fields.String()
    version = fields.Integer()
    spec_hash = fields.String()
    deployed_at = UtcDateTime()
    deployed_by = fields.String()


class DeploySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    files = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[\w.-]+\.bpmn$")),
                        values=fields.String(), required=True, validate=validate.Length(min=1))


@blp.route("")
class Models(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.response(200, ModelSchema(many=True))
    def get(self):
        """Every deployed version, newest first per model"""
        return system().catalog.versions()

    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.arguments(DeploySchema)
    @blp.response(201, ModelSchema)
    def post(self, body):
        """Validate and deploy BPMN files as a new version (running orders keep theirs)"""
        try:
            return system().catalog.deploy(body["name"], {k: v.encode() for k, v in body["files"].items()},
                                           auth.current().id)
        except ModelError as error:
            abort(422, errors={"json": {"files": [str(error)]}})
