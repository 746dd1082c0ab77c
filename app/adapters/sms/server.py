"""`python -m app.adapters.sms.server`: an SMS gateway simulator over HTTP with an outbox.

Speaks the protocol HttpSmsGateway speaks: `POST /messages` with JSON {phone, text, sender,
reference} and, when SMS_USER/SMS_PASSWORD are set, basic auth; answers {"id": ...}, 400 for a
malformed message, 401 for wrong credentials, 503 for an injected fault. For development and
tests: `GET /messages?order_id=` lists what was "sent" (newest first), `POST /admin/faults`
{"fail_times": N, "latency_ms": 0} breaks the next sends. Prints its URL as the first line of
stdout.
"""
import argparse
import hmac
import os
import re

from flask import Flask, jsonify, request

from app.adapters.faults import FaultInjector
from app.adapters.sms.errors import SmsTransientError
from app.adapters.sms.outbox import OPERATION, DevOutbox

PHONE = re.compile(r"^\+7\d{10}$")


def create_app(user: str | None = None, password: str | None = None) -> Flask:
    faults = FaultInjector()
    outbox = DevOutbox(faults=faults)
    app = Flask("sms-simulator")
    app.extensions["outbox"] = outbox

    @app.post("/messages")
    def send():
        if user and not _authorized(user, password or ""):
            return jsonify(error="unauthorized"), 401
        body = request.get_json(silent=True) or {}
        phone, text = body.get("phone"), body.get("text")
        if not isinstance(phone, str) or not PHONE.match(phone):
            return jsonify(error="bad_request", field="phone", message="+7 and 10 digits"), 400
        if not isinstance(text, str) or not text.strip():
            return jsonify(error="bad_request", field="text", message="a non-empty text"), 400
        try:
            message_id = outbox.send(phone, text, order_id=body.get("reference"))
        except SmsTransientError as error:
            return jsonify(error="unavailable", message=str(error)), 503
        return jsonify(id=message_id)

    @app.get("/messages")
    def messages():
        return jsonify([{**m, "sent_at": m["sent_at"].isoformat()}
                        for m in outbox.list(order_id=request.args.get("order_id"))])

    @app.post("/admin/faults")
    def set_faults():
        body = request.get_json(silent=True) or {}
        try:
            faults.set(OPERATION, int(body.get("fail_times", 0)), int(body.get("latency_ms", 0)))
        except (TypeError, ValueError) as error:
            return jsonify(error="bad_request", message=str(error)), 400
        return jsonify(faults=faults.get())

    app.get("/healthz")(lambda: jsonify(status="ok"))
    return app


def _authorized(user: str, password: str) -> bool:
    auth = request.authorization
    return bool(auth) and hmac.compare_digest(auth.username or "", user) \
        and hmac.compare_digest(auth.password or "", password)


def main() -> None:
    from app.serving import serve
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082, help="0: any free port")
    args = parser.parse_args()
    serve(lambda: create_app(os.environ.get("SMS_USER"), os.environ.get("SMS_PASSWORD")),
          args.host, args.port, name="sms-simulator")


if __name__ == "__main__":
    main()
