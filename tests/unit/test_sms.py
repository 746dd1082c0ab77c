import logging

import pytest
import requests

from app.adapters.faults import FaultInjector
from app.adapters.sms import SmsGateway, SmsRejected, SmsTransientError
from app.adapters.sms.http_gateway import HttpSmsGateway
from app.adapters.sms.outbox import DevOutbox


def test_outbox_newest_first_and_filter(outbox):
    outbox.send("+79990000001", "one", order_id="a")
    outbox.send("+79990000002", "two", order_id="b")
    outbox.send("+79990000003", "three", order_id="a")
    assert [m["text"] for m in outbox.list()] == ["three", "two", "one"]
    assert [m["text"] for m in outbox.list("a")] == ["three", "one"]
    assert set(outbox.list()[0]) >= {"phone", "text", "sent_at", "order_id"}
    assert isinstance(outbox, SmsGateway)
    outbox.clear()
    assert outbox.list() == []


def test_outbox_fault_injection():
    faults = FaultInjector()
    box = DevOutbox(faults=faults)
    faults.set("signing.send_code", 1)
    with pytest.raises(SmsTransientError):
        box.send("+79990000001", "x")
    box.send("+79990000001", "x")
    assert len(box.list()) == 1


class FakeSession:
    def __init__(self, status=200, body=None, exc=None):
        self.status, self.body, self.exc, self.calls = status, body or {"id": "m1"}, exc, []

    def post(self, url, json, auth, timeout):
        self.calls.append((url, json, auth, timeout))
        if self.exc:
            raise self.exc
        resp = requests.Response()
        resp.status_code = self.status
        resp._content = str(self.body).replace("'", '"').encode()
        return resp


def test_http_gateway_sends():
    session = FakeSession()
    gw = HttpSmsGateway("https://sms.example/send", "u", "p", session=session)
    assert gw.send("+79990000001", "code 123456", order_id="o") == "m1"
    url, body, auth, timeout = session.calls[0]
    assert body["phone"] == "+79990000001" and auth == ("u", "p") and timeout


@pytest.mark.parametrize("session,error", [
    (FakeSession(status=503), SmsTransientError), (FakeSession(status=429), SmsTransientError),
    (FakeSession(exc=requests.Timeout()), SmsTransientError),
    (FakeSession(exc=requests.ConnectionError()), SmsTransientError),
    (FakeSession(status=400), SmsRejected)])
def test_http_gateway_errors_never_log_text(session, error, caplog):
    gw = HttpSmsGateway("https://sms.example/send", session=session)
    with caplog.at_level(logging.DEBUG), pytest.raises(error):
        gw.send("+79990000001", "your code is 654321")
    assert "654321" not in caplog.text and "+799" not in caplog.text  # not even a masked phone
