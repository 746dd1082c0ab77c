"""JSON in and out of the application, bounded by construction.

Every request's body is checked before any view (or library) sees it: larger than
MAX_CONTENT_LENGTH is refused with 413 before it is read (by its Content-Length, or while a
chunked body streams in), and a JSON body must be plain data that every later step can handle:
nested at most MAX_DEPTH levels (no RecursionError anywhere downstream), strings that are valid
Unicode (no lone surrogates, which fail when encoded for MongoDB, hashes or logs), finite numbers
and integers that fit 64 bits (what MongoDB stores). Views parse the same bytes again (webargs);
they can only see a body that passed here.

Responses: datetimes as ISO 8601 with an offset (UTC), never Flask's HTTP-date default.
"""
import io
import json
import math
from datetime import date, datetime

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import abort

from app.domain.clock import as_utc

MAX_DEPTH = 32
INT64 = (-2 ** 63, 2 ** 63 - 1)


class BodyRefused(ValueError):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused(f"number {text} is out of range")
    return value


def _int64(text: str) -> int:
    value = int(text)
    if not INT64[0] <= value <= INT64[1]:
        raise BodyRefused(f"integer {text[:30]} does not fit 64 bits")
    return value


def _no_constant(name: str):
    raise BodyRefused(f"{name} is not JSON")


def _where(path: tuple) -> str:
    """The path to a value, printable (a bad key is shown escaped, never echoed)."""
    text = ".".join(str(p) for p in path) or "the body"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _valid_text(text: str, path: tuple) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyRefused(f"invalid Unicode (a lone surrogate) at {_where(path)}") from None


def check_plain(value, max_depth: int = MAX_DEPTH) -> None:
    """Walk parsed JSON without recursion: depth and valid strings (BodyRefused otherwise)."""
    stack = [(value, (), 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            _valid_text(item, path)
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                raise BodyRefused(f"JSON nested deeper than {max_depth} levels at {_where(path)}")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if isinstance(key, str):
                    _valid_text(key, path + (key,))
                stack.append((child, path + (key,), depth + 1))


def loads_bounded(data: str | bytes):
    """Standard JSON only (no NaN/Infinity), within the bounds above; BodyRefused otherwise."""
    try:
        value = json.loads(data, parse_float=_finite, parse_int=_int64, parse_constant=_no_constant)
    except RecursionError:  # the C scanner stops at the interpreter's limit; ours is lower
        raise BodyRefused(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    check_plain(value)
    return value


def _default(value):
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return DefaultJSONProvider.default(value)


class BoundedJSONProvider(DefaultJSONProvider):
    """app.json: what request.get_json() and jsonify() use. Reading is always bounded."""
    default = staticmethod(_default)

    def loads(self, s, **_):
        return loads_bounded(s)


def _read_at_most(stream, limit: int) -> bytes:
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _sized_body(limit: int) -> None:
    """A body of unknown length (chunked; the server terminates it) is read here, at most
    limit + 1 bytes, and handed on as a body of known length. Werkzeug's own guard stops
    reading at the limit without saying that more was sent: the body would be cut short."""
    environ = request.environ
    data = _read_at_most(environ["wsgi.input"], limit)
    if len(data) > limit:
        abort(413, message=f"request body larger than {limit} bytes")
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.update({"wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": str(len(data))})


def check_request_body():
    """before_request: refuse a large body unread, then a JSON body that is not plain data."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        abort(413, message=f"request body larger than {limit} bytes")
    if request.content_length is None and request.environ.get("wsgi.input_terminated"):
        _sized_body(limit)
    if not request.is_json:
        return
    data = request.get_data(cache=True)
    if data:
        try:
            loads_bounded(data)
        except ValueError as refused:  # BodyRefused, JSONDecodeError, UnicodeDecodeError
            abort(400, message=f"invalid JSON body: {refused}")


def init_app(app) -> None:
    app.json = BoundedJSONProvider(app)
    app.before_request(check_request_body)
