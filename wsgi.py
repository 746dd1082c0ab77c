"""WSGI entry point (gunicorn "wsgi:app").

On the embedded default the worker, the outbox relay and the scheduler run as threads of this
process; in production they run as `python -m app.worker` processes.
"""
from app.api.factory import create_app
from app.bootstrap import build
from app.config import load_settings
from app.observability import logs

settings = load_settings()
logs.configure("escrow-api", settings.log_level)
system = build(settings)
if settings.run_worker_in_app:
    system.start_background()
app = create_app(system)
