"""The analysts' workbench API: check BPMN files, simulate them, look at a deployed version
(HTTP over app.services.models)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import auth
from app.api.model_schemas import (
    ModelRefusalSchema, ModelVersionSchema, SimulationRequestSchema, SimulationSchema,
    ValidateRequestSchema, ValidationSchema,
)
from app.api.views import system
from app.services import models

blp = Blueprint("workbench", __name__, url_prefix="/api/v1",
                description="Check and simulate BPMN models, inspect deployed versions (analysts, admins)")


@blp.route("/models/validate")
class Validate(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.arguments(ValidateRequestSchema)
    @blp.response(200, ValidationSchema)
    def post(self, body):
        """Every problem of the files at once: errors (deploy would refuse them) and warnings,
        each with its element, line and file; and the executable processes found"""
        return models.check(system(), auth.current(), body["files"])


@blp.route("/simulations")
class Simulations(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.arguments(SimulationRequestSchema)
    @blp.response(200, SimulationSchema)
    @blp.alt_response(422, schema=ModelRefusalSchema, description="the model has errors, or a field is invalid")
    def post(self, body):
        """Run the files on the real engine with scripted outcomes, user-task data, messages
        and signals; bounded in steps and time, nothing is stored

        The process starts with the variables the worker gives every order, then `data`.
        Service calls take the next outcome scripted for their element id (else for their
        handler), `ok` by default; `fail` fails every attempt the retry policy allows;
        `error:CODE` throws business error CODE. User tasks complete with the next data
        scripted for their element id (`{}` by default); a receive task gets its message with
        that data as payload, unless `messages` scripts that message. A message or signal is
        delivered once its `after` element has completed; timers fire as soon as nothing else
        can happen. `counts` counts every instance of a multi-instance activity."""
        return models.simulate(system(), auth.current(), body)


@blp.route("/models/<string:name>/versions/<int:version>")
class ModelVersion(MethodView):
    @auth.roles(auth.ANALYST, auth.ADMIN)
    @blp.response(200, ModelVersionSchema)
    def get(self, name, version):
        """The stored files, the elements of their processes, who deployed the version and
        when, and how many orders run on it (by status)"""
        return models.version(system(), auth.current(), name, version)
