"""The API in production: `gunicorn -c python:app.gunicorn_conf wsgi:app`.

The same settings as `make run` (app.serving.OPTIONS). One worker process per container with
threads: scale with replicas, so each process has its own /metrics and its own readiness.
"""
import os

from app.serving import OPTIONS, before_request, stop_system

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:5000")
worker_class = OPTIONS["worker_class"]
workers = int(os.environ.get("GUNICORN_WORKERS", OPTIONS["workers"]))
threads = int(os.environ.get("GUNICORN_THREADS", OPTIONS["threads"]))
keepalive = OPTIONS["keepalive"]
timeout = OPTIONS["timeout"]
graceful_timeout = OPTIONS["graceful_timeout"]
worker_exit = stop_system
pre_request = before_request
logger_class = OPTIONS["logger_class"]
proc_name = "escrow-api"
