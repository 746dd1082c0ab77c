"""Capture what the application logs, as the JSON lines an operator's console gets."""
import contextlib
import io
import json
import logging

from app.observability import logs


@contextlib.contextmanager
def json_lines(level=logging.DEBUG):
    """Lines logged meanwhile (at `level` for this project's loggers), each parsed."""
    root = logging.getLogger()
    saved = root.level, root.handlers[:], {n: logging.getLogger(n).level for n in logs.OURS}
    stream = io.StringIO()
    handler = logs.configure("test", level, stream=stream)
    found: list[dict] = []
    try:
        yield found
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, old in saved[2].items():
            logging.getLogger(name).setLevel(old)
        found.extend(json.loads(line) for line in stream.getvalue().splitlines())


def field(line: dict, dotted: str):
    """A field of a parsed line by its dotted ECS name (ecs-logging nests most of them)."""
    return flat(line).get(dotted)


def flat(line: dict, prefix: str = "") -> dict:
    """Dotted name -> value of every leaf field of a parsed line."""
    out = {}
    for key, value in line.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat(value, name + "."))
        else:
            out[name] = value
    return out
