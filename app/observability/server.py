"""A worker's operations server on ESCROW_METRICS_PORT: the same /metrics, /healthz and
/readyz as the API (app.api.health), for Prometheus and for Kubernetes probes."""
import logging
import threading

from flask import Flask
from werkzeug.serving import make_server

from app.api import health


def start(system, host: str, port: int):
    """Serve in a daemon thread; the server (its `.port` is the one bound, for port 0)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per probe or scrape
    app = Flask("escrow-worker")
    app.extensions["escrow"] = system
    app.register_blueprint(health.blp)
    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="ops-server", daemon=True).start()
    return server
