"""Process models: list versions, deploy a new version (HTTP over app.services.models)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api import auth
from app.api.model_schemas import ModelRefusalSchema, ModelSchema, bpmn_files
from app.api.views import system
from app.services import models

blp = Blueprint("models", __name__, url_prefix="/api/v1/models",
                description="Versioned BPMN process models")


class DeploySchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    files = bpmn_files()
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                         metadata={"description": "what changed, in the deployer's words"})


@blp.route("")
class Models(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.response(200, ModelSchema(many=True))
    def get(self):
        """Every deployed version, newest first per model"""
        return models.versions(system(), auth.current())

    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.arguments(DeploySchema())
    @blp.response(201, ModelSchema)
    @blp.alt_response(422, schema=ModelRefusalSchema, description="the model has errors")
    def post(self, body):
        """Validate and deploy BPMN files as a new version (running orders keep theirs)"""
        return models.deploy(system(), auth.current(), body["name"], body["files"], body.get("note"))
