"""POST /api/v1/simulations (HTTP over app.services.models.simulate)."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api import auth
from app.api.model_schemas import ModelRefusalSchema, SimulationRequestSchema, SimulationSchema
from app.api.views import system
from app.services import models

blp = Blueprint("simulations", __name__, url_prefix="/api/v1/simulations",
                description="Try a model on the engine without a bank, Kafka or storage")


@blp.route("")
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
        scripted for their element id (`{}` by default). A message or signal is delivered once
        its `after` element has completed; timers fire as soon as nothing else can happen."""
        return models.simulate(system(), auth.current(), body)
