"""POST /api/v1/simulations: run BPMN files on the real engine with a scripted scenario."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from app.api import auth
from app.api.model_schemas import (
    ModelRefusalSchema, SimulationRequestSchema, SimulationSchema, refusal,
)
from app.api.views import system
from app.engine import ModelError
from app.engine.simulation import Scenario, ScenarioError, simulate
from app.worker.process_manager import initial_data

blp = Blueprint("simulations", __name__, url_prefix="/api/v1/simulations",
                description="Try a model on the engine without a bank, Kafka or storage")

MAX_SECONDS = 10.0


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
        scenario = Scenario(data={**initial_data(current_app.config["ESCROW"]), **body["data"]},
                            outcomes=body["outcomes"], user_tasks=body["user_tasks"],
                            messages=body["messages"], signals=body["signals"],
                            max_steps=body["max_steps"], max_seconds=MAX_SECONDS)
        try:
            return simulate(system().catalog.engine, body["files"], scenario, body["process_id"])
        except ModelError as error:
            return refusal(error.problems)
        except ScenarioError as error:
            abort(422, errors={"json": {error.field: [str(error)]}})
