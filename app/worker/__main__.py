"""`python -m app.worker`: a process manager process (run any number; one consumer group).

Also runs the outbox relay and the timer scheduler: both are safe to run in several processes
(the relay publishes at least once, wake-ups carry deterministic ids). With ESCROW_METRICS_PORT
it serves /metrics, /healthz and /readyz there. SIGTERM or SIGINT: the current command
finishes, its offset is committed, the consumer leaves the group, the process exits 0.
"""
import logging
import signal
import threading

from app.bootstrap import build
from app.config import load_settings
from app.observability import logs
from app.observability import server as ops_server

log = logging.getLogger("escrow.worker")


def main() -> None:
    settings = load_settings()
    logs.configure("escrow-worker", settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    system = build(settings)
    system.start_background(workers=1)
    if settings.metrics_port is not None:
        ops = ops_server.start(system, settings.host, settings.metrics_port)
        log.info("operations server on http://%s:%s (/metrics, /healthz, /readyz)", settings.host, ops.port)
    log.info("process manager running; Kafka %s", system.bootstrap)
    stop.wait()
    log.info("stopping: finishing the current command")
    system.stop()
    log.info("stopped")


if __name__ == "__main__":
    main()
