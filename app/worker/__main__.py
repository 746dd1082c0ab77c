"""`python -m app.worker`: a process manager process (run any number; one consumer group).

Also runs the outbox relay and the timer scheduler: both are safe to run in several processes
(the relay publishes at least once, wake-ups carry deterministic ids).
"""
import logging
import signal
import threading

from app.bootstrap import build
from app.config import load_settings


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    system = build(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    system.start_background(workers=1)
    logging.getLogger("escrow.worker").info("process manager running; Kafka %s", system.bootstrap)
    stop.wait()
    system.stop()


if __name__ == "__main__":
    main()
