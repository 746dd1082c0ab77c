"""`python -m app` (`make run`): serve the app through gunicorn; on the embedded default the
worker, outbox relay and scheduler run as threads of its one worker process."""
import importlib
import logging

from app.config import Settings, load_settings
from app.observability import logs
from app.serving import serve, stop_system

log = logging.getLogger("escrow")


def memory_notice(settings: Settings) -> str | None:
    """What this process keeps only in memory, and how to keep it; None in production shape."""
    lost = []
    if settings.mongo_uri.startswith("mongomock"):
        lost.append("orders, users, process models and signing codes (mongomock)")
    if not settings.kafka_bootstrap:
        lost.append("every Kafka topic (the embedded mock cluster)")
    if not settings.bank_url:
        lost.append("the simulated bank's clients and accounts")
    if not settings.sms_url:
        lost.append("the SMS outbox")
    if not lost:
        return None
    return ("Embedded default: everything lives in this process's memory; when it stops, "
            + "; ".join(lost) + " are lost. To keep them, run with real MongoDB and Kafka: "
            "`docker compose up`, or ESCROW_ENV=production with ESCROW_MONGO_URI and "
            "ESCROW_KAFKA_BOOTSTRAP (README: 'Running with real Kafka and MongoDB').")


def main() -> None:
    settings = load_settings()
    logs.configure("escrow-api", settings.log_level)
    notice = memory_notice(settings)
    if notice:
        log.warning(notice)
    serve(lambda: importlib.import_module("wsgi").app, settings.host, settings.port,
          name="escrow-bpmn", worker_exit=stop_system)


if __name__ == "__main__":
    main()
