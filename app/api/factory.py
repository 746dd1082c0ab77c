"""The Flask application: the JSON API (/api, flask-smorest, OpenAPI) and the pages (app/web)
on one port; one error handler answers JSON to API calls and a page to people, never a bare 500."""
import logging
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, InternalServerError

from app.api import jsonbody
from app.api.openapi import finish_document
from app.api.errors import error_response
from app.observability.http import instrument as observe_http
from app.services.errors import ServiceError
from app.web import init_web

log = logging.getLogger(__name__)
WEB = Path(__file__).resolve().parent.parent / "web"


def create_app(system) -> Flask:
    from app.api import (bindings, dev, health, incidents, model_changes, models, orders, projects, signing,
                         tasks, workbench)
    app = Flask("escrow", root_path=str(WEB), static_folder="static", template_folder="templates")
    observe_http(app)  # first: every request is measured and traced, refused ones too
    app.config.update(
        ESCROW=system.settings,
        MAX_CONTENT_LENGTH=system.settings.max_request_bytes,
        API_TITLE="escrow-bpmn", API_VERSION="v1", OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api", OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/static/dist/vendor/swagger-ui/",  # installed with the project
        API_SPEC_OPTIONS={"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]},
    )
    app.extensions["escrow"] = system
    jsonbody.init_app(app)  # every request: body size and JSON bounds; responses: ISO times
    api = Api(app)
    for module in (orders, signing, projects, tasks, incidents, models, workbench, model_changes, bindings):
        api.register_blueprint(module.blp)
    if system.settings.dev_endpoints:
        api.register_blueprint(dev.blp)
    tasks.document_forms(api, system.settings.forms_dir)
    finish_document(api, system.settings)
    app.register_blueprint(health.blp)
    init_web(app, system)

    def for_people() -> bool:
        return not request.path.startswith("/api/")

    @app.errorhandler(ServiceError)
    def refused(error: ServiceError):
        if for_people():
            return render_template("error.html", code=error.status, description=error.message), error.status
        return error_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if for_people():
            return render_template("error.html", code=error.code, description=error.description), error.code
        return api.handle_http_exception(error)

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unhandled error")
        if for_people():
            return http_error(InternalServerError())
        return jsonify(code=500, status="Internal Server Error",
                       message="unexpected error; it has been logged"), 500
    return app
