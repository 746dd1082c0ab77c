"""Serve a WSGI app through gunicorn: the API (`python -m app`) and the bank and SMS simulators.

One worker process with threads (gthread, HTTP keep-alive). The embedded default and the
simulators hold their state in memory, so it must live in exactly one process; production
scales out with more containers or pods of the same shape (app/gunicorn_conf.py).
"""
import sys

from gunicorn.app.base import BaseApplication

from app import affinity
from app.observability import metrics

OPTIONS = {
    "worker_class": "gthread",
    "workers": 1,
    "threads": 8,
    "keepalive": 5,          # seconds an idle keep-alive connection stays open
    "timeout": 60,           # a worker silent this long is restarted
    "graceful_timeout": 30,  # SIGTERM: time to finish requests and stop the saga threads
    "control_socket_disable": True,  # several servers share a machine (tests, the simulators)
    "logger_class": "app.observability.logs.GunicornLogger",  # its lines as JSON like the rest
}


def before_request(_worker, request) -> None:
    """gunicorn's pre_request hook: a connection's first request counts the connection; the
    request thread runs on the CPU of the app's background threads, if they have one."""
    if request.req_number == 1:
        metrics.HTTP_CONNECTIONS.inc()
    wsgi = sys.modules.get("wsgi")
    if wsgi is not None:
        affinity.pin_this_thread_once(wsgi.system.background_cpu)


def announce(server) -> None:
    """gunicorn's when_ready hook: print the URL it listens on (with port 0: the one it got)."""
    print(str(server.LISTENERS[0]), flush=True)


def stop_system(_server, _worker) -> None:
    """gunicorn's worker_exit hook: stop the worker, relay and scheduler threads of the app
    (each worker thread finishes its current command, commits and leaves the group)."""
    wsgi = sys.modules.get("wsgi")
    if wsgi is not None:
        wsgi.system.stop()


class _Gunicorn(BaseApplication):
    def __init__(self, load, options: dict):
        self._load = load
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._load()


def serve(load, host: str, port: int, *, name: str, **options) -> None:
    """Run until SIGTERM or SIGINT; `load()` builds the WSGI app inside the worker process."""
    _Gunicorn(load, {**OPTIONS, "bind": f"{host}:{port}", "proc_name": name,
                     "when_ready": announce, "pre_request": before_request, **options}).run()
