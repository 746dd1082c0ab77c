"""Production SMS gateway over HTTP (JSON POST with basic auth)."""
import logging

import requests

from app.adapters.sms.errors import SmsRejected, SmsTransientError

log = logging.getLogger(__name__)


class HttpSmsGateway:
    def __init__(self, url: str, user: str | None = None, password: str | None = None, *,
                 sender: str = "ESCROW", timeout: tuple[float, float] = (3.05, 10.0),
                 session: requests.Session | None = None):
        self.url = url
        self.auth = (user, password) if user else None
        self.sender = sender
        self.timeout = timeout
        self.session = session or requests.Session()

    def send(self, phone: str, text: str, *, order_id: str | None = None) -> str:
        payload = {"phone": phone, "text": text, "sender": self.sender, "reference": order_id}
        try:
            resp = self.session.post(self.url, json=payload, auth=self.auth, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            log.warning("sms gateway unreachable (order %s): %s", order_id, type(exc).__name__)
            raise SmsTransientError(f"sms gateway unreachable: {type(exc).__name__}") from exc
        if resp.status_code >= 500 or resp.status_code == 429:
            log.warning("sms gateway answered %s (order %s)", resp.status_code, order_id)
            raise SmsTransientError(f"sms gateway answered {resp.status_code}")
        if resp.status_code >= 400:
            log.error("sms gateway refused a message (order %s): %s", order_id, resp.status_code)
            raise SmsRejected(f"sms gateway refused the message: {resp.status_code}")
        try:
            body = resp.json()
        except ValueError:
            body = {}
        return str(body.get("id") or body.get("message_id") or "") if isinstance(body, dict) else ""
