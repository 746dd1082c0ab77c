"""Logs: one JSON object per line in Elastic Common Schema (ecs-logging), on stderr.

Every line carries `service.name` and, inside a request or a command, `trace.id` and
`transaction.id` (app.observability.trace). Fields come from the standard record (time, level,
logger, origin, process id, thread name, the message, an exception's type and frames) and from
the allow-listed event fields (app.observability.events); whatever else a library attaches to
its records (`extra=`) is dropped, so every field is ECS or `escrow.*`.

Libraries speak at WARNING and above, whatever the level (an allow-list of this project's loggers
follows ESCROW_LOG_LEVEL): SpiffWorkflow's INFO "State changed to ..." lines were most of the
console, and at DEBUG SpiffWorkflow and pymongo write task data and whole documents.
"""
import logging
import sys

import ecs_logging
from gunicorn import glogging

from app.observability import trace

# Loggers of this project (and librdkafka's messages) log at the configured level; every other
# one, a library's, at WARNING and above; gunicorn's at its own level (INFO: start, stop).
OURS = ("app", "handlers", "escrow", "librdkafka")
_STANDARD = ecs_logging.StdlibFormatter._LOGRECORD_DICT  # attributes every LogRecord has
# Not written: an exception's text (it may quote data: its type and frames are kept), a copy of
# the message that ECS 9 does not define, and what says nothing (the process is MainProcess;
# the thread has its name).
EXCLUDED = ("error.message", "log.original", "process.name", "process.thread.id")


class EcsFormatter(ecs_logging.StdlibFormatter):
    def __init__(self, service: str):
        super().__init__(exclude_fields=EXCLUDED, extra={"service.name": service})
        self.service = service

    def format_to_ecs(self, record: logging.LogRecord) -> dict:
        # ecs-logging would add every attribute a library attached to the record: give it
        # the standard ones only, then add the event's allow-listed fields and the trace.
        result = self.standard_fields(record) if not record.exc_info else self.library_fields(record)
        fields = dict(getattr(record, "ecs", None) or {})
        current = trace.ids()
        if current:
            fields["trace.id"], fields["transaction.id"] = current
        for name, value in fields.items():
            *parents, leaf = name.split(".")
            node = result
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value
        return result

    def library_fields(self, record: logging.LogRecord) -> dict:
        """ecs-logging's fields of the record's standard attributes."""
        bare = logging.LogRecord.__new__(logging.LogRecord)
        bare.__dict__.update({k: v for k, v in record.__dict__.items() if k in _STANDARD})
        return super().format_to_ecs(bare)

    def standard_fields(self, record: logging.LogRecord) -> dict:
        """library_fields() of a record without an exception, built directly: ecs-logging's
        generic merge of dotted names was most of a log line's cost. The same fields and values
        (tests/observability/test_log_format.py compares the two)."""
        return {"@timestamp": self._record_timestamp(record), "ecs.version": ecs_logging.ECS_VERSION,
                "log": {"level": record.levelname.lower(), "logger": record.name,
                        "origin": {"function": record.funcName,
                                   "file": {"line": record.lineno, "name": record.filename}}},
                "process": {"pid": record.process, "thread": {"name": record.threadName}},
                "service": {"name": self.service}, "message": record.getMessage()}


class _EcsHandler(logging.StreamHandler):
    """The handler configure() installs (and replaces when called again)."""


def configure(service: str, level: str | int = "INFO", stream=None) -> logging.Handler:
    """JSON lines on `stream` (stderr) for the whole process: this project's loggers at
    `level`, libraries at WARNING and above."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _EcsHandler)]:
        root.removeHandler(old)
    handler = _EcsHandler(stream or sys.stderr)
    handler.setFormatter(EcsFormatter(service))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in OURS:
        logging.getLogger(name).setLevel(level)
    return handler


class GunicornLogger(glogging.Logger):
    """gunicorn's own lines (starting, listening, worker exits) as JSON lines like the rest:
    its loggers hand their records to the root handler instead of their own plain-text ones."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if not any(isinstance(h, _EcsHandler) for h in logging.getLogger().handlers):
            from app.config import load_settings
            configure(cfg.proc_name or "gunicorn", load_settings().log_level)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True
