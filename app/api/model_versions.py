"""GET /api/v1/models/{name}/versions/{version} (HTTP over app.services.models.version)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import auth
from app.api.model_schemas import ModelVersionSchema
from app.api.views import system
from app.services import models

blp = Blueprint("model_versions", __name__, url_prefix="/api/v1/models",
                description="Deployed versions of process models")


@blp.route("/<string:name>/versions/<int:version>")
class ModelVersion(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.response(200, ModelVersionSchema)
    def get(self, name, version):
        """The stored files, the elements of their processes, who deployed the version and
        when, and how many orders run on it (by status)"""
        return models.version(system(), auth.current(), name, version)
