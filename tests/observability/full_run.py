"""A full run of `make run` (`python -m app`: gunicorn, worker threads) driven over HTTP along
every path an order can take, with buyers whose personal data is distinctive enough to be
searched for in every line the process wrote."""
import json
import re
import time
from dataclasses import dataclass, field

import requests
from confluent_kafka import Consumer, Producer

from app.adapters.bank import seed
from app.domain import validation
from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, headers, order_body
from tests.ops.servers import Service, wait_http

ENV = {"PORT": "0", "ESCROW_RETRY_BASE_S": "0.02", "ESCROW_RETRY_MAX_S": "0.2",
       "ESCROW_SCHEDULER_INTERVAL_S": "0.02", "ESCROW_RELAY_INTERVAL_S": "0.01",
       "ESCROW_CODE_RESEND_S": "1", "ESCROW_BACKOFFICE_SLA_S": "1", "ESCROW_SIGN_WAIT_S": "5",
       "ESCROW_LOG_LEVEL": "DEBUG"}  # the strictest: every line this project can write
TRACE_ID = "5d1e7a0c4b2f48e99a3c6d8e7f102b34"
TRACEPARENT = f"00-{TRACE_ID}-a1b2c3d4e5f60718-01"
CODE = re.compile(r"code is (\d+)")


def _inn(prefix10: str) -> str:
    digits = [int(c) for c in prefix10]
    c11 = sum(x * w for x, w in zip(digits, validation.INN_W11)) % 11 % 10
    c12 = sum(x * w for x, w in zip(digits + [c11], validation.INN_W12)) % 11 % 10
    return f"{prefix10}{c11}{c12}"


def _snils(first9: str) -> str:
    return f"{first9[:3]}-{first9[3:6]}-{first9[6:]} {validation.snils_control(first9):02d}"


BUYER = {"last_name": "Zhdanovskaya", "first_name": "Evlampiya", "middle_name": "Ksenofontovna",
         "birth_date": "1986-09-17", "phone": "+79057318264", "inn": _inn("7715093842"),
         "snils": _snils("734219857")}
PASSPORT = {"series": "4609", "issued_on": "2006-10-02", "issuer_code": "772-918"}
AGREEMENT = "DDU-5531/77-Zh"
FREE_TEXT = "Evlampiya Zhdanovskaya phoned"  # a cancel's and an incident's written reason


def body(number: str, series: str = PASSPORT["series"], **depositor) -> dict:
    order = order_body()
    order["agreement"]["number"] = AGREEMENT
    order["depositor"] = {**order["depositor"], **BUYER, **depositor,
                          "passport": {**PASSPORT, "series": series, "number": number}}
    return order


def personal_data() -> set[str]:
    """Every personal value the run handed the application (ours and the bank's records)."""
    values = {*BUYER.values(), BUYER["phone"][1:], BUYER["phone"][2:],
              BUYER["snils"].replace("-", "").replace(" ", ""), PASSPORT["issuer_code"], AGREEMENT, FREE_TEXT}
    for client in seed.CLIENTS:
        values |= {client["last_name"], client["middle_name"], client["phone"], client["phone"][1:],
                   client["passport"]["number"], client["birth_date"]}
    return values


@dataclass
class Run:
    app: Service
    orders: dict[str, str] = field(default_factory=dict)   # path -> order id
    codes: set[str] = field(default_factory=set)            # every SMS code sent
    published: dict[str, list] = field(default_factory=dict)  # topic -> [(value, headers)]

    @property
    def url(self) -> str:
        return self.app.address

    def call(self, method: str, path: str, who="m1", extra_headers=None, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.url}{path}", headers={**headers(who), **(extra_headers or {})},
                                timeout=15, **kwargs)

    def create(self, path: str, number: str, extra_headers=None, **details) -> str:
        created = self.call("POST", "/api/v1/orders", json=body(number, **details), extra_headers=extra_headers)
        assert created.status_code == 202, created.text
        self.orders[path] = created.json()["id"]
        return self.orders[path]

    def wait(self, order_id: str, *statuses: str, timeout=45.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            order = self.call("GET", f"/api/v1/orders/{order_id}").json()
            if order["status"] in statuses:
                return order
            assert time.monotonic() < deadline, f"{order_id} is {order['status']}, not {statuses}"
            time.sleep(0.05)

    def fault(self, operation: str, fail_times: int) -> None:
        answer = self.call("POST", "/api/v1/dev/faults", who="admin",
                           json={"operation": operation, "fail_times": fail_times})
        assert answer.status_code == 200, answer.text

    def sms_codes(self, order_id: str) -> list[str]:
        messages = self.call("GET", "/api/v1/dev/sms", params={"order_id": order_id}).json()
        codes = [CODE.search(m["text"]).group(1) for m in messages]
        self.codes |= set(codes)
        return codes  # newest first

    def incident_of(self, order_id: str) -> str:
        return self.wait(order_id, "INCIDENT")["incidents"][-1]["id"]


def drive(run: Run) -> None:
    """Every path: retry, signing (a wrong code, a new code), rollback, a rollback that fails
    (retried, and resolved), cancel, back office with SLA escalation, compliance refusal, dead
    letters, a command that fails unexpectedly, a search by name, a refused request."""
    run.fault("escrow.reserve_account", 1)
    signed = run.create("signed", "831001", extra_headers={"traceparent": TRACEPARENT})
    run.wait(signed, "AWAITING_SIGNATURE")
    assert run.call("POST", f"/api/v1/orders/{signed}/signature", json={"code": "000000"}).status_code == 422
    time.sleep(1.1)  # ESCROW_CODE_RESEND_S
    assert run.call("POST", f"/api/v1/orders/{signed}/signature/code").status_code == 202
    code = _wait_for(lambda: len(run.sms_codes(signed)) >= 2 and run.sms_codes(signed)[0])
    assert run.call("POST", f"/api/v1/orders/{signed}/signature", json={"code": code}).status_code == 200

    run.fault("escrow.bind_to_developer", -1)
    run.wait(run.create("rolled_back", "831002"), "ROLLED_BACK")
    run.fault("escrow.release_account", -1)
    retried = run.create("incident_retried", "831003")
    retry_id = run.incident_of(retried)
    resolved = run.create("incident_resolved", "831004")
    resolve_id = run.incident_of(resolved)
    run.fault("escrow.bind_to_developer", 0)
    run.fault("escrow.release_account", 0)
    assert run.call("POST", f"/api/v1/incidents/{retry_id}/retry", who="admin").status_code == 202
    assert run.call("POST", f"/api/v1/incidents/{resolve_id}/resolve", who="admin",
                    json={"reason": FREE_TEXT}).status_code == 202
    run.wait(retried, "ROLLED_BACK")
    run.wait(resolved, "ROLLED_BACK")

    cancelled = run.create("cancelled", "831005")
    run.wait(cancelled, "AWAITING_SIGNATURE")
    run.sms_codes(cancelled)
    assert run.call("POST", f"/api/v1/orders/{cancelled}/cancel", json={"reason": FREE_TEXT}).status_code == 202
    run.wait(cancelled, "CANCELLED")

    review = run.create("backoffice", DUPLICATE_CLIENT_PASSPORT[1], series=DUPLICATE_CLIENT_PASSPORT[0])
    _back_office(run, review)

    run.wait(run.create("rejected", "831006", last_name="Blocked"), "REJECTED")

    broken = run.create("broken_command", "831007")
    run.wait(broken, "AWAITING_SIGNATURE")
    run.sms_codes(broken)
    bootstrap = run.call("GET", "/api/v1/dev/kafka", who="admin").json()["bootstrap"]
    producer = Producer({"bootstrap.servers": bootstrap, "log_level": 3})
    producer.produce("escrow.order-commands", key=b"Zhdanovskaya", value=b"{not json")
    producer.produce("escrow.order-commands", key=broken.encode(), value=json.dumps(
        {"type": "task.complete", "order_id": broken, "actor": "test", "payload": {}}).encode())
    assert producer.flush(10) == 0
    run.incident_of(broken)

    assert run.call("GET", "/api/v1/orders", params={"q": BUYER["last_name"]}).status_code == 200
    refused = run.call("POST", "/api/v1/orders", json=body("12", inn="7715093842"))
    assert refused.status_code == 422, refused.text
    _wait_for(lambda: run.call("GET", "/api/v1/orders", params={"status": "PROCESSING"}).json() == [])
    for topic in ("escrow.order-commands", "escrow.order-events"):
        run.published[topic] = _read(bootstrap, topic)


def _read(bootstrap: str, topic: str) -> list[tuple[dict | None, dict]]:
    """Every message of a topic so far: (value if JSON, headers)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{time.monotonic_ns()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False, "log_level": 3})
    consumer.subscribe([topic])
    found, idle_until = [], time.monotonic() + 5
    try:
        while time.monotonic() < idle_until:
            message = consumer.poll(0.2)
            if message is None or message.error():
                continue
            try:
                value = json.loads(message.value())
            except ValueError:
                value = None
            found.append((value, {k: v.decode() for k, v in message.headers() or ()}))
            idle_until = time.monotonic() + 1
    finally:
        consumer.close()
    return found


def _back_office(run: Run, order_id: str) -> None:
    run.wait(order_id, "BACKOFFICE_REVIEW")
    task = _wait_for(lambda: next((t for t in run.call("GET", "/api/v1/tasks", who="bo").json()
                                   if t["order_id"] == order_id and t["priority"] == "high"), None))  # escalated
    assert run.call("POST", f"/api/v1/tasks/{task['id']}/claim", who="bo").status_code == 200
    done = run.call("POST", f"/api/v1/tasks/{task['id']}/complete", who="bo",
                    json={"decision": "use_existing", "client_id": "C00000003"})
    assert done.status_code == 202, done.text
    run.wait(order_id, "AWAITING_SIGNATURE")
    run.sms_codes(order_id)


def _wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.1)


def full_run() -> tuple[Run, list[str]]:
    """Start `python -m app`, drive it, stop it (SIGTERM); the run and its console lines."""
    with Service("app", env=ENV, name="full-run") as app:
        wait_http(f"{app.address}/readyz")
        run = Run(app)
        drive(run)
        assert app.terminate() == 0, app.log()[-3000:]
    return run, app.log().splitlines()
