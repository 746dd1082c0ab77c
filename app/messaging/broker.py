"""`python -m app.messaging.broker`: host the embedded Kafka mock cluster in its own process.

Creates the application's topics, prints the bootstrap address on the first line of stdout,
then serves until stopped, so that the app (ESCROW_KAFKA_BOOTSTRAP=...) and any Kafka client (kcat) can use it over TCP.
"""
import signal
import sys
import threading

from app.config import load_settings
from app.messaging import topics
from app.messaging.kafka import EmbeddedKafka


def main() -> None:
    settings = load_settings()
    cluster = EmbeddedKafka(topics=[settings.topic(t) for t in topics.ALL])
    print(cluster.bootstrap, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    cluster.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
