"""POST /api/v1/models/validate (HTTP over app.services.models.check)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import auth
from app.api.model_schemas import ValidateRequestSchema, ValidationSchema
from app.api.views import system
from app.services import models

blp = Blueprint("model_validation", __name__, url_prefix="/api/v1/models",
                description="Check BPMN files before deploying them")


@blp.route("/validate")
class Validate(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.arguments(ValidateRequestSchema)
    @blp.response(200, ValidationSchema)
    def post(self, body):
        """Every problem of the files at once: errors (deploy would refuse them) and warnings,
        each with its element, line and file; and the executable processes found"""
        return models.check(system(), auth.current(), body["files"])
