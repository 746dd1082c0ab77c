"""/healthz is liveness only; /readyz names what is not ready (here: Kafka gone)."""
from app.api.factory import create_app
from app.bootstrap import build
from tests.e2e.conftest import FAST
from tests.e2e.harness import eventually
from tests.ops.servers import Service


def test_readyz_reports_each_dependency_and_503_when_kafka_is_gone():
    broker = Service("app.messaging.broker")
    system = build(**FAST, kafka_bootstrap=broker.address)
    try:
        system.start_background(workers=1)
        client = create_app(system).test_client()
        ready = eventually(lambda: client.get("/readyz").status_code == 200 and client.get("/readyz"), timeout=60)
        assert ready.get_json()["checks"] == {"mongodb": "ok", "kafka": "ok", "models": "ok",
                                              "consumer worker-1": "ok (4 partitions)"}
        broker.kill()
        down = client.get("/readyz")
        assert down.status_code == 503 and down.get_json()["status"] == "not ready"
        checks = down.get_json()["checks"]
        assert checks["kafka"].startswith("not ready") and checks["mongodb"] == "ok"
        assert client.get("/healthz").status_code == 200, "liveness does not depend on Kafka"
    finally:
        broker.kill()
        system.stop(timeout_s=5)
