"""Requests that used to crash or exhaust the server: each is a clear 4xx, for every operation.

The body limit is proved on the stream itself: a 200 MB body is refused having been read not
at all (Content-Length) or at most up to the limit (chunked), in-process here and under
gunicorn in test_body_limit_gunicorn.py."""
import io
import json
import uuid

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from app.api.jsonbody import MAX_DEPTH
from tests.api.conftest import operations
from tests.e2e.harness import headers, order_body

HUGE = 200 * 1024 * 1024


class LazyBody(io.RawIOBase):
    """`size` bytes of JSON whitespace made up on demand; counts what the server read."""

    def __init__(self, size: int):
        self.size, self.pos, self.read_bytes = size, 0, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        self.pos = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence] + offset
        return self.pos

    def tell(self):
        return self.pos

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.pos)
        buffer[:n] = b" " * n
        self.pos += n
        self.read_bytes += n
        return n


def concrete(path: str) -> str:
    return path.replace("{", "").replace("}", "")  # any value: the body is refused first


def send(app, method, path, body, chunked=False, who="admin"):
    builder = EnvironBuilder(path=path, method=method, input_stream=body,
                             headers={**headers(who), "Content-Type": "application/json"})
    environ = builder.get_environ()
    if chunked:  # as a server that terminates chunked input presents it (gunicorn, werkzeug)
        del environ["CONTENT_LENGTH"]
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    body_iter, status, _ = run_wsgi_app(app, environ, buffered=True)  # the environ as it is
    return int(status.split()[0]), json.loads(b"".join(body_iter))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_body_is_413_before_it_is_read_on_every_operation(app, document, chunked):
    limit = app.config["MAX_CONTENT_LENGTH"]
    checked = 0
    for method, path in operations(document):
        body = LazyBody(HUGE)
        status, answer = send(app, method, concrete(path), body, chunked=chunked)
        assert status == 413, (method, path, answer)
        assert str(limit) in answer["message"]
        # unread, or read up to the limit (plus one buffer) and no further
        assert body.read_bytes <= (limit + 65536 if chunked else 0), (method, path, body.read_bytes)
        checked += 1
    assert checked >= 15


def nested(depth: int, opener="[", closer="]") -> str:
    return opener * depth + closer * depth


def deep_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("body", [nested(10_000), deep_object(10_000), nested(MAX_DEPTH + 1),
                                  deep_object(MAX_DEPTH + 1)], ids=["array-10000", "object-10000",
                                                                    "array-limit+1", "object-limit+1"])
def test_deep_json_is_400_on_every_operation(app, document, body):
    client = app.test_client()
    for method, path in operations(document):
        response = client.open(concrete(path), method=method, data=body,
                               headers={**headers("admin"), "Content-Type": "application/json"})
        assert response.status_code == 400, (method, path, response.get_data(as_text=True))
        assert f"nested deeper than {MAX_DEPTH} levels" in response.get_json()["message"]


def test_json_at_the_depth_limit_reaches_validation(api):
    body = order_body()
    body["depositor"]["middle_name"] = json.loads(nested(MAX_DEPTH - 2))  # root + depositor + this
    response = api.client.post("/api/v1/orders", json=body, headers=headers())
    assert response.status_code == 422  # parsed, then refused by the schema: not a string
    assert "middle_name" in response.get_json()["errors"]["json"]["depositor"]


@pytest.mark.parametrize("raw, where", [
    ('{"last_name": "\\ud800"}', "depositor.last_name"),
    ('{"\\udfff": "x"}', "depositor.\udfff"),
    ('{"last_name": "ok \\ud83d"}', "depositor.last_name"),
])
def test_a_lone_surrogate_is_400_naming_the_field(api, raw, where):
    text = json.dumps(order_body()).replace('{"last_name": "Ivanova"', raw[:-1], 1)
    response = api.client.post("/api/v1/orders", data=text,
                               headers={**headers(), "Content-Type": "application/json"})
    assert response.status_code == 400, response.get_data(as_text=True)
    message = response.get_json()["message"]
    assert "lone surrogate" in message and where.split(".")[0] in message


def test_a_surrogate_pair_is_valid_text(api):
    body = order_body()
    body["depositor"]["middle_name"] = "\U0001F600"  # sent as the pair \ud83d\ude00
    response = api.client.post("/api/v1/orders", data=json.dumps(body),
                               headers={**headers(), "Content-Type": "application/json"})
    assert response.status_code == 202, response.get_json()


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999", str(2 ** 63), str(-2 ** 63 - 1)])
def test_numbers_beyond_json_and_64_bits_are_400(api, value):
    response = api.client.post("/api/v1/dev/faults", data='{"operation": "x", "fail_times": %s}' % value,
                               headers={**headers("admin"), "Content-Type": "application/json"})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert "invalid JSON body" in response.get_json()["message"]


def test_bytes_that_are_not_utf8_are_400(api):
    response = api.client.post("/api/v1/orders", data=b'{"project_id": "\xff\xfe"}',
                               headers={**headers(), "Content-Type": "application/json"})
    assert response.status_code == 400 and "invalid JSON body" in response.get_json()["message"]


TASK_OPERATIONS = [("POST", "/api/v1/tasks/{}/claim"), ("POST", "/api/v1/tasks/{}/unclaim"),
                   ("POST", "/api/v1/tasks/{}/complete"), ("GET", "/api/v1/tasks/{}/form")]


@pytest.mark.parametrize("task_id", ["abc.", ".", "..", f"{uuid.uuid4()}.", f"{uuid.uuid4()}%2E",
                                     "a.b.c", "$where", "x" * 300])
def test_task_ids_that_are_no_uuid_are_404(api, task_id):
    for method, template in TASK_OPERATIONS:
        for who in ("bo", "admin"):
            response = api.client.open(template.format(task_id), method=method, json={},
                                       headers=headers(who))
            assert response.status_code == 404, (method, task_id, response.get_data(as_text=True))
            assert response.get_json()["message"] == "task not found"


class PaddedBody(LazyBody):
    """A valid order followed by JSON whitespace up to `size` bytes."""

    def __init__(self, text: bytes, size: int):
        super().__init__(size)
        self.text = text

    def readinto(self, buffer):
        start = self.pos
        n = super().readinto(buffer)
        head = self.text[start:start + n]
        buffer[:len(head)] = head
        return n


@pytest.mark.parametrize("over, expected", [(1, 413), (0, 202)])
def test_a_chunked_body_is_never_cut_short_at_the_limit(app, over, expected):
    """Werkzeug alone reads a chunked body up to the limit and parses that: a valid order
    followed by padding past the limit was accepted. Over the limit is 413; at it, accepted."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = PaddedBody(json.dumps(order_body()).encode(), limit + over)
    status, answer = send(app, "POST", "/api/v1/orders", body, chunked=True, who="m1")
    assert status == expected, answer
