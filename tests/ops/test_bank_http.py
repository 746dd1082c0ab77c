"""The bank core over HTTP: HttpBank (the application's adapter) against the simulator's server."""
from datetime import date
from typing import Protocol

import pytest
import requests

from app.adapters import rpc
from app.adapters.bank import seed
from app.adapters.bank.errors import (AlreadyExists, BankError, BankRefusal, NotFound,
                                      TransientBankError)
from app.adapters.bank.http import HttpBank, decode_error, encode_error, simulator_admin
from app.adapters.bank.port import BankCore
from app.adapters.bank.server import create_app
from app.adapters.bank.simulated import SimulatedBank
from tests.ops.servers import wsgi_thread
from tests.unit.unit_data import DEPOSITOR

DEV = seed.PROJECTS[0]


@pytest.fixture
def served():
    """(HttpBank, the simulator behind it, its base URL)."""
    simulator = SimulatedBank()
    with wsgi_thread(create_app(simulator)) as url:
        client = HttpBank(url, timeout_s=5, backoff_s=0.01)
        yield client, simulator, url
        client.close()


def test_every_port_method_works_over_http(served):
    bank, simulator, _ = served
    assert isinstance(bank, BankCore)
    assert bank.check_compliance(DEPOSITOR)["verdict"] == "clear"
    assert [c["client_id"] for c in bank.find_clients_by_document("4510", "654321")] == ["C00000002", "C00000003"]
    cid = bank.create_client(DEPOSITOR, idempotency_key="o1-c", order_id="o1")
    assert bank.get_client(cid)["passport"]["number"] == DEPOSITOR["passport"]["number"]
    account = bank.reserve_escrow_account("o1", cid, 100_00, date(2029, 1, 1), idempotency_key="o1-r")
    assert bank.find_escrow_account("o1") == account
    binding = bank.bind_to_developer(account, DEV["developer_account"], DEV["id"], idempotency_key="o1-b")
    assert bank.find_binding(account) == binding
    dep = bank.create_depositor_order("o1", cid, account, 100_00, {"number": "1"}, idempotency_key="o1-d")
    assert bank.find_depositor_order("o1") == dep
    bank.cancel_depositor_order(dep, idempotency_key="o1-dx")
    bank.unbind(binding, idempotency_key="o1-bx")
    bank.release_escrow_account(account, idempotency_key="o1-rx")
    bank.deactivate_client(cid, idempotency_key="o1-cx")
    assert bank.merge_clients(["C00000002", "C00000003"], idempotency_key="m1") == "C00000002"
    # The server's simulator holds the books: everything happened there, once.
    assert simulator.snapshot_for_order("o1")["holds_nothing"]
    assert set(simulator.effects("o1").values()) == {1} and len(simulator.effects("o1")) == 8


def test_idempotency_key_travels_as_header_and_replays(served):
    bank, simulator, url = served
    first = bank.create_client(DEPOSITOR, idempotency_key="same", order_id="o1")
    assert bank.create_client(DEPOSITOR, idempotency_key="same", order_id="o1") == first
    assert simulator.effects() == {"clients.create_depositor": 1}
    raw = requests.post(f"{url}/bank/v1/create_client", json={"person": DEPOSITOR, "order_id": "o1"},
                        headers={"Idempotency-Key": "same"}, timeout=5)
    assert raw.status_code == 200 and raw.json() == {"result": first}
    no_key = requests.post(f"{url}/bank/v1/create_client", json={"person": DEPOSITOR}, timeout=5)
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["message"]
    in_body = requests.post(f"{url}/bank/v1/create_client", timeout=5,
                            json={"person": DEPOSITOR, "idempotency_key": "same"})
    assert in_body.status_code == 400, "only the header carries the key"


def test_bank_errors_come_back_as_the_ports_exceptions(served):
    bank, simulator, _ = served
    cid = bank.create_client(DEPOSITOR, idempotency_key="a", order_id="o1")
    with pytest.raises(AlreadyExists) as exists:
        bank.create_client(DEPOSITOR, idempotency_key="b")
    assert exists.value.existing_id == cid
    account = bank.reserve_escrow_account("o1", cid, 100_00, "2029-01-01", idempotency_key="r")
    simulator.set_project_closed(DEV["id"])
    with pytest.raises(BankRefusal) as refusal:
        bank.bind_to_developer(account, DEV["developer_account"], DEV["id"], idempotency_key="b")
    assert refusal.value.code == "project_closed"
    with pytest.raises(NotFound):
        bank.get_client("C-nobody")
    with pytest.raises(TypeError):  # a wrong call fails locally, as on the simulator
        bank.get_client()


def test_transient_answers_are_retried_with_the_same_key(served):
    bank, simulator, _ = served
    simulator.set_fault("clients.create_depositor", 1, after_effect=True)  # effect, then a 503
    cid = bank.create_client(DEPOSITOR, idempotency_key="k", order_id="o1")
    assert simulator.effects() == {"clients.create_depositor": 1}
    assert bank.get_client(cid)["status"] == "active"
    simulator.set_fault("escrow.reserve_account", 5)
    with pytest.raises(TransientBankError):
        bank.reserve_escrow_account("o1", cid, 100_00, "2029-01-01", idempotency_key="r")
    assert simulator.faults()["escrow.reserve_account"]["fail_times"] == 2, "1 call + 2 retries"


def test_an_unreachable_bank_is_transient():
    with wsgi_thread(create_app()) as url:
        pass  # the server is gone, its port closed
    with pytest.raises(TransientBankError):
        HttpBank(url, timeout_s=1, backoff_s=0.01).find_escrow_account("o1")


def test_protocol_defects_are_not_business_outcomes(served):
    _, _, url = served
    unknown = requests.post(f"{url}/bank/v1/no_such_method", json={}, timeout=5)
    assert unknown.status_code == 404
    error = decode_error(unknown.status_code, unknown.json())
    assert type(error) is BankError, "an unknown method is not a NotFound of the bank"
    bad = requests.post(f"{url}/bank/v1/get_client", json={"client": "x"}, timeout=5)
    assert bad.status_code == 400 and type(decode_error(400, bad.json())) is BankError


def test_a_new_port_method_works_without_touching_server_or_client():
    class WiderPort(BankCore, Protocol):
        def client_in_use(self, client_id: str) -> bool:
            """Whether any active order holds the client."""

    class WiderBank(SimulatedBank):
        def client_in_use(self, client_id: str) -> bool:
            return client_id == "C00000001"

    with wsgi_thread(_rpc_app(WiderPort, WiderBank())) as url:
        client = rpc.RpcClient(url, WiderPort, decode_error)
        assert client.client_in_use("C00000001") is True
        assert client.client_in_use(client_id="C00000002") is False


def test_simulator_admin_over_http(served):
    bank, simulator, url = served
    admin = simulator_admin(url)
    admin.set_fault("escrow.reserve_account", 1)
    assert simulator.faults() == admin.faults()
    cid = bank.create_client(DEPOSITOR, idempotency_key="c", order_id="o9")
    assert admin.effects("o9") == {"clients.create_depositor": 1}
    assert admin.snapshot_for_order("o9")["active"]["clients"] == 1
    assert cid == admin.snapshot_for_order(order_id="o9")["clients"][0]["client_id"]


def _rpc_app(protocol, target):
    from flask import Flask
    app = Flask("wider")
    app.register_blueprint(rpc.blueprint("wider", protocol, target, encode_error))
    return app
