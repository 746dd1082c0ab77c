"""Liveness and readiness: the app, Kafka and MongoDB."""
import mongoengine
from flask import Blueprint, jsonify

from app.api.views import system
from app.messaging import kafka

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    checks = {"app": "ok"}
    try:
        mongoengine.get_db().command("ping")
        checks["mongodb"] = "ok"
    except Exception as error:  # any driver error means not ready
        checks["mongodb"] = f"unreachable: {error}"
    checks["kafka"] = "ok" if kafka.reachable(system().bootstrap) else "unreachable"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if healthy else "degraded", checks=checks), 200 if healthy else 503
