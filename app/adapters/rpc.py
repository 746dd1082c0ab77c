"""JSON over HTTP for a Python protocol: each public method of the protocol is one endpoint.

`POST {prefix}/{method}` carries the arguments by name as a JSON object; `idempotency_key`
travels as the `Idempotency-Key` header. The answer is `200 {"result": ...}` or an error
`{"error": kind, "message": ..., ...}` whose kinds and statuses the caller's codec defines.
Server and client read the methods from the protocol itself, so a method added to the
protocol works over HTTP without touching either.
"""
import inspect
import json
from datetime import date, datetime

import requests
from flask import Blueprint, Response, request
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_PARAM = "idempotency_key"


def methods(protocol: type) -> dict[str, inspect.Signature]:
    """The protocol's public methods by name, with their signatures (`self` included)."""
    return {name: inspect.signature(fn) for name, fn in inspect.getmembers(protocol, inspect.isfunction)
            if not name.startswith("_")}


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body, default=_plain), status=status, mimetype="application/json")


def blueprint(name: str, protocol: type, target, encode_error) -> Blueprint:
    """Serve `target`'s implementation of `protocol`. `encode_error(exc)` gives
    (status, body) for the errors the protocol defines, None for anything else (a 500)."""
    signatures = methods(protocol)
    bp = Blueprint(name, __name__)

    @bp.post("/<method>")
    def call(method):
        signature = signatures.get(method)
        if signature is None:
            return _json(404, {"error": "unknown_method", "message": f"no method {method!r}"})
        arguments = request.get_json(silent=True)
        if not isinstance(arguments, dict):
            return _json(400, {"error": "bad_request", "message": "the body must be a JSON object"})
        arguments.pop(KEY_PARAM, None)  # only the header carries it
        if KEY_PARAM in signature.parameters and request.headers.get(IDEMPOTENCY_HEADER):
            arguments[KEY_PARAM] = request.headers[IDEMPOTENCY_HEADER]
        try:
            signature.bind(None, **arguments)
        except TypeError as error:
            missing_key = KEY_PARAM in str(error)
            return _json(400, {"error": "bad_request", "message": f"{IDEMPOTENCY_HEADER} header required"
                               if missing_key else str(error)})
        try:
            result = getattr(target, method)(**arguments)
        except Exception as error:
            encoded = encode_error(error)
            if encoded is None:
                raise
            return _json(*encoded)
        return _json(200, {"result": result})

    return bp


class RpcClient:
    """Calls a remote implementation of `protocol` as if it were local.

    Connection errors, read timeouts and 5xx answers are retried with exponential back-off
    (the same idempotency key, so a retry never doubles an effect); what is still failing
    then, and every error answer, becomes the exception `decode_error(status, body)` returns
    (status None: the service could not be reached).
    """

    def __init__(self, base_url: str, protocol: type, decode_error, *,
                 timeout: tuple[float, float] = (3.05, 10.0), retries: int = 2,
                 backoff_s: float = 0.2, pool_size: int = 16):
        self._base = base_url.rstrip("/")
        self._methods = methods(protocol)
        self._decode_error = decode_error
        self._timeout = timeout
        retry = Retry(total=retries, connect=retries, read=retries, status=retries,
                      backoff_factor=backoff_s, status_forcelist=(500, 502, 503, 504),
                      allowed_methods=None, raise_on_status=False)
        self._session = requests.Session()
        self._session.mount(self._base, HTTPAdapter(max_retries=retry, pool_maxsize=pool_size))

    def __getattr__(self, name: str):
        signature = self._methods.get(name)
        if signature is None:
            raise AttributeError(name)

        def call(*args, **kwargs):
            arguments = dict(signature.bind(None, *args, **kwargs).arguments)  # TypeError as locally
            arguments.pop(next(iter(signature.parameters)))  # self
            return self._post(name, arguments, arguments.pop(KEY_PARAM, None))
        call.__name__ = name
        return call

    def _post(self, method: str, arguments: dict, key: str | None):
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers[IDEMPOTENCY_HEADER] = key
        try:
            response = self._session.post(f"{self._base}/{method}", headers=headers, timeout=self._timeout,
                                          data=json.dumps(arguments, default=_plain))
        except requests.RequestException as error:
            raise self._decode_error(None, {"message": f"{method}: {type(error).__name__}"}) from error
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code == 200 and "result" in body:
            return body["result"]
        body.setdefault("message", f"{method}: HTTP {response.status_code}")
        raise self._decode_error(response.status_code, body)

    def close(self) -> None:
        self._session.close()
