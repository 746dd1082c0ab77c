"""WSGI entry point (gunicorn "wsgi:app").

On the embedded default the worker, the outbox relay and the scheduler run as threads of this
process; in production they run as `python -m app.worker` processes.
"""
import logging

from app.api.factory import create_app
from app.bootstrap import build
from app.config import load_settings

settings = load_settings()
logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
system = build(settings)
if settings.run_worker_in_app:
    system.start_background()
app = create_app(system)
