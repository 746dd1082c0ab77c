"""A log line's standard fields, built directly, are what ecs-logging builds for them."""
import logging
import sys

import pytest

from app.observability import logs

FORMATTER = logs.EcsFormatter("escrow-test")


class LibraryOnly(logs.EcsFormatter):
    """Every record through ecs-logging's own field building."""

    def standard_fields(self, record):
        return self.library_fields(record)


LIBRARY = LibraryOnly("escrow-test")


def record(level=logging.INFO, msg="order %s created", args=("ord_0123456789ab",), name="escrow.events",
           exc_info=None, **extra):
    return logging.getLogger(name).makeRecord(name, level, "/x/app/events.py", 56, msg, args, exc_info,
                                              func="emit", extra=extra or None)


def _raised():
    try:
        raise ValueError("passport 4510 123456")  # an exception's text never reaches a line
    except ValueError:
        return sys.exc_info()


@pytest.mark.parametrize("made", [
    record(),
    record(logging.WARNING, "step %s attempt %d failed", ("bind_account", 2), ecs={"escrow.step": "bind_account"}),
    record(logging.ERROR, "no args, 100%", ()),
    record(logging.DEBUG, "a library's line", (), name="gunicorn.error", custom_attribute="dropped"),
    record(logging.INFO, "кириллица и \"кавычки\"", ()),
], ids=["event", "with-fields", "percent", "library-extra", "unicode"])
def test_standard_fields_are_ecs_loggings_own(made):
    assert FORMATTER.standard_fields(made) == FORMATTER.library_fields(made)
    assert FORMATTER.format(made) == LIBRARY.format(made)  # the line itself, byte for byte


def test_a_record_with_an_exception_goes_through_ecs_logging():
    made = record(logging.ERROR, "relay pass failed", (), exc_info=_raised())
    line = FORMATTER.format_to_ecs(made)
    assert line["error"]["type"] == "ValueError" and "stack_trace" in line["error"]
    assert "message" not in line["error"]  # the exception's text is left out (it may quote data)
