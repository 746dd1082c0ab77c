"""`python -m app`: serve the app on its embedded default (threads for worker, relay, scheduler)."""
import logging

from werkzeug.serving import run_simple

log = logging.getLogger("escrow")


def main() -> None:
    import wsgi
    settings = wsgi.settings
    log.info("escrow-bpmn on http://%s:%s  (Kafka bootstrap %s)", settings.host, settings.port,
             wsgi.system.bootstrap)
    run_simple(settings.host, settings.port, wsgi.app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
