"""The Flask application: blueprints, OpenAPI, JSON errors (never a bare 500 page)."""
import logging

from flask import Flask, jsonify
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def create_app(system) -> Flask:
    from app.api import (dev, health, incidents, model_validation, model_versions, models, orders,
                         projects, signing, simulations, tasks)
    app = Flask("escrow-bpmn")
    app.config.update(
        ESCROW=system.settings,
        API_TITLE="escrow-bpmn", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]},
    )
    app.extensions["escrow"] = system
    api = Api(app)
    for module in (orders, signing, projects, tasks, incidents, models, model_validation, model_versions,
                   simulations):
        api.register_blueprint(module.blp)
    if system.settings.dev_endpoints:
        api.register_blueprint(dev.blp)
    tasks.document_forms(api, system.settings.forms_dir)
    app.register_blueprint(health.blp)

    @app.errorhandler(Exception)
    def unexpected(error):
        if isinstance(error, HTTPException):
            return error
        log.exception("unhandled error")
        return jsonify(code=500, status="Internal Server Error",
                       message="unexpected error; it has been logged"), 500
    return app

