"""The SMS gateway simulator speaks what HttpSmsGateway (production adapter) speaks."""
import pytest

from app.adapters.sms import SmsRejected, SmsTransientError
from app.adapters.sms.http_gateway import HttpSmsGateway
from app.adapters.sms.server import create_app
from tests.ops.servers import wsgi_thread


@pytest.fixture
def sms():
    app = create_app("escrow", "s3cret")
    with wsgi_thread(app) as url:
        yield app, url


def test_sent_messages_land_in_the_outbox(sms):
    app, url = sms
    gateway = HttpSmsGateway(f"{url}/messages", "escrow", "s3cret")
    message_id = gateway.send("+79161234567", "Code 123456", order_id="o1")
    gateway.send("+79161234500", "Code 654321", order_id="o2")
    listed = gateway.session.get(f"{url}/messages", params={"order_id": "o1"}, timeout=5).json()
    assert [(m["id"], m["phone"], m["text"]) for m in listed] == [(message_id, "+79161234567", "Code 123456")]
    assert listed[0]["sent_at"].endswith("+00:00")
    assert len(app.extensions["outbox"].list()) == 2


def test_refusals_and_faults_map_to_the_ports_errors(sms):
    _, url = sms
    with pytest.raises(SmsRejected):
        HttpSmsGateway(f"{url}/messages", "escrow", "wrong").send("+79161234567", "x")
    gateway = HttpSmsGateway(f"{url}/messages", "escrow", "s3cret")
    with pytest.raises(SmsRejected):
        gateway.send("8-916-123", "x")
    assert gateway.session.post(f"{url}/admin/faults", json={"fail_times": 1}, timeout=5).ok
    with pytest.raises(SmsTransientError):
        gateway.send("+79161234567", "x")
    assert gateway.send("+79161234567", "x")
