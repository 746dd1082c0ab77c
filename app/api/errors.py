"""Service refusals as JSON in flask-smorest's error shape ({code, status, message, errors})."""
from http import HTTPStatus

from flask import jsonify

from app.services.errors import Invalid, ServiceError, Throttled


def error_response(error: ServiceError):
    body = {"code": error.status, "status": HTTPStatus(error.status).phrase, "message": error.message}
    if isinstance(error, Invalid):
        body["errors"] = {"json": error.errors}
    body.update(error.detail)
    response = jsonify(body)
    response.status_code = error.status
    if isinstance(error, Throttled):
        response.headers["Retry-After"] = str(error.retry_after_s)
    return response
