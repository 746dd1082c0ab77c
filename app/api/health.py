"""Operations endpoints of every process: liveness, readiness and the Prometheus exposition.

The API serves them beside /api/v1; a worker serves the same blueprint on ESCROW_METRICS_PORT
(app.observability.server), so probes and scrapes look alike everywhere.
- /healthz: liveness. The process answers; nothing outside it is checked, so an outage of
  MongoDB or Kafka makes pods unready, never restarts them.
- /readyz: MongoDB answers a ping, Kafka answers a metadata request, the order process model
  is deployed and loads, and each consumer of this process has its partition assignment.
  200 with the checks, or 503 naming what is not ready.
"""
import mongoengine
from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from app.api.views import system
from app.process_models import ORDER_PROCESS

blp = Blueprint("health", __name__)
KAFKA_TIMEOUT_S = 2.0


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    checks = readiness(system())
    ready = all(value == "ok" or value.startswith("ok ") for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@blp.get("/metrics")
def metrics():
    import app.observability.gauges  # noqa: F401  (the application's metrics, gauges read now)
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)


def readiness(sys_) -> dict[str, str]:
    checks = {"mongodb": _check(lambda: mongoengine.get_db().command("ping")),
              "kafka": _check(lambda: sys_.producer.list_topics(timeout=KAFKA_TIMEOUT_S)),
              "models": _check(lambda: sys_.catalog.get(sys_.catalog.current(ORDER_PROCESS)["spec_hash"]))}
    for consumer in sys_.consumers:
        partitions = consumer.partitions
        checks[f"consumer {consumer.name}"] = (
            "waiting for its partition assignment" if partitions is None
            else f"ok ({len(partitions)} partitions)")
    return checks


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as error:  # any failure means not ready; the message says which
        return f"not ready: {type(error).__name__}: {error}"[:300]
