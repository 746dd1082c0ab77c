"""A real Prometheus scrapes the running API (/metrics on a live server, port 0) while orders go
through a retry, a rollback and an incident: the series move, the incident alert fires through
Prometheus's own API and resolves when the operator closes the incident. The exposition has every
contract metric with its labels, passes `promtool check metrics`, and routes are templates."""
import os

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from app.api.factory import create_app
from app.bootstrap import build
from tests.e2e.conftest import FAST
from tests.e2e.harness import eventually, headers, order_body
from tests.observability.prometheus import Prometheus
from tests.ops.servers import VAR, wsgi_thread
from tests.ops.tools import promtool, run

CONTRACT = {  # issue 18: name -> (type, labels); and what an operator needs besides
    "escrow_orders": ("gauge", {"status"}),
    "escrow_orders_created": ("counter", {"company"}),
    "escrow_saga_step_duration_seconds": ("histogram", {"step", "outcome"}),
    "escrow_saga_step_retries": ("counter", {"step"}),
    "escrow_compensations": ("counter", {"step", "outcome"}),
    "escrow_incidents_open": ("gauge", set()),
    "escrow_backoffice_tasks_open": ("gauge", {"overdue"}),
    "escrow_outbox_backlog": ("gauge", set()),
    "escrow_kafka_consumer_lag": ("gauge", {"topic", "partition"}),
    "escrow_dead_letters": ("counter", set()),
    "escrow_http_request_duration_seconds": ("histogram", {"route", "method", "status"}),
    "escrow_signing_attempts": ("counter", {"result"}),
    "escrow_backoffice_task_age_seconds": ("gauge", set()),
}


class Live:
    def __init__(self, system, url: str, prometheus: Prometheus):
        self.system, self.url, self.prom = system, url, prometheus

    def post(self, path: str, who="m1", **kwargs) -> requests.Response:
        return requests.post(f"{self.url}{path}", headers=headers(who), timeout=10, **kwargs)

    def create(self, passport) -> str:
        created = self.post("/api/v1/orders", json=order_body(passport=passport))
        assert created.status_code == 202, created.text
        return created.json()["id"]

    def wait_status(self, order_id: str, status: str) -> dict:
        def reached():
            order = requests.get(f"{self.url}/api/v1/orders/{order_id}", headers=headers(), timeout=10).json()
            return order if order["status"] == status else None
        return eventually(reached, timeout=30)


@pytest.fixture(scope="module")
def live():
    system = build(**FAST)
    system.start_background()
    app = create_app(system)
    try:
        with wsgi_thread(app) as url:
            prom = Prometheus(VAR / f"prometheus-{os.getpid()}", {"escrow-api": f"{url}/metrics"})
            try:
                yield Live(system, url, prom)
            finally:
                prom.stop()
    finally:
        system.stop()


def _count(live: Live, expr: str) -> float:
    return live.prom.value(f"sum({expr}) or vector(0)")


def test_prometheus_sees_a_retry_a_rollback_and_an_incident_and_the_alert_fires(live):
    prom, bank = live.prom, live.system.bank
    prom.eventually(lambda: prom.value('up{job="escrow-api"}') == 1, "the API up")
    before = {name: _count(live, expr) for name, expr in {
        "created": "escrow_orders_created_total",
        "retries": 'escrow_saga_step_retries_total{step="reserve_account"}',
        "failed_attempts": 'escrow_saga_step_duration_seconds_count{step="bind_account",outcome="transient"}',
        "compensated": 'escrow_compensations_total{step="reserve_account",outcome="ok"}',
        "compensation_failed": 'escrow_compensations_total{step="reserve_account",outcome="failed"}'}.items()}

    bank.set_fault("escrow.reserve_account", 1)               # one retry, then on
    retried = live.create(("4801", "100001"))
    live.wait_status(retried, "AWAITING_SIGNATURE")
    bank.set_fault("escrow.bind_to_developer", -1)            # three failed attempts: rolled back
    rolled_back = live.create(("4801", "100002"))
    live.wait_status(rolled_back, "ROLLED_BACK")
    bank.set_fault("escrow.release_account", -1)              # and the rollback fails: an incident
    stuck = live.create(("4801", "100003"))
    incident = live.wait_status(stuck, "INCIDENT")["incidents"][0]
    bank.reset()

    moved = {
        "created": ("sum(escrow_orders_created_total)", before["created"] + 3),
        "retries": ('sum(escrow_saga_step_retries_total{step="reserve_account"})', before["retries"] + 1),
        "failed_attempts": ('sum(escrow_saga_step_duration_seconds_count{step="bind_account",outcome="transient"})',
                            before["failed_attempts"] + 6),
        "compensated": ('sum(escrow_compensations_total{step="reserve_account",outcome="ok"})',
                        before["compensated"] + 1),
        "compensation_failed": ('sum(escrow_compensations_total{step="reserve_account",outcome="failed"})',
                                before["compensation_failed"] + 1),
        "rolled back": ('max(escrow_orders{status="ROLLED_BACK"})', 1),
        "in incident": ('max(escrow_orders{status="INCIDENT"})', 1),
        "incidents open": ("max(escrow_incidents_open)", 1),
    }
    for what, (expr, least) in moved.items():
        prom.eventually(lambda: (prom.value(expr) or 0) >= least, f"{what}: {expr} >= {least}")

    def firing(name):
        return [a for a in prom.alerts() if a["labels"]["alertname"] == name and a["state"] == "firing"]
    [alert] = prom.eventually(lambda: firing("EscrowIncidentOpen"), "EscrowIncidentOpen firing")
    assert alert["labels"]["severity"] == "page" and float(alert["value"]) == 1
    prom.eventually(lambda: {a["labels"]["step"] for a in firing("EscrowStepFailureRateHigh")}
                    >= {"bind_account", "release_account"}, "EscrowStepFailureRateHigh firing for both steps")

    resolved = live.post(f"/api/v1/incidents/{incident['id']}/resolve", who="admin",
                         json={"reason": "released by hand"})
    assert resolved.status_code == 202, resolved.text
    prom.eventually(lambda: prom.value("max(escrow_incidents_open)") == 0, "no incident open")
    prom.eventually(lambda: not firing("EscrowIncidentOpen"), "EscrowIncidentOpen no longer firing")


def test_the_exposition_has_every_contract_metric_and_passes_promtool(live):
    order_id = live.create(("4801", "100004"))
    live.wait_status(order_id, "AWAITING_SIGNATURE")
    assert live.post(f"/api/v1/orders/{order_id}/signature", json={"code": "000000"}).status_code == 422
    text = requests.get(f"{live.url}/metrics", timeout=10).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, (kind, labels) in CONTRACT.items():
        assert name in families and families[name].samples, f"{name}: no samples"
        assert families[name].type == kind, name
        assert {k for s in families[name].samples for k in s.labels} - {"le"} == labels, name
    assert 'escrow_signing_attempts_total{result="wrong_code"}' in text
    assert "escrow_orders_created_total" in text and "_created{" not in text
    checked = run(promtool(), "check", "metrics", stdin=text)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout + checked.stderr


def test_http_routes_are_labelled_by_their_template_never_by_the_path(live):
    order_id = live.create(("4801", "100005"))
    for path in (f"/api/v1/orders/{order_id}", f"/api/v1/orders/{order_id}?q=Ivanova", "/no/such/page"):
        requests.get(f"{live.url}{path}", headers=headers(), timeout=10)
    text = requests.get(f"{live.url}/metrics", timeout=10).text
    [family] = [f for f in text_string_to_metric_families(text) if f.name == "escrow_http_request_duration_seconds"]
    routes = {s.labels["route"] for s in family.samples}
    templates = {rule.rule for rule in create_app(live.system).url_map.iter_rules()}
    assert "/api/v1/orders/<order_id>" in routes and "unmatched" in routes
    assert routes - {"unmatched"} <= templates
    assert order_id not in text and "Ivanova" not in text and "/no/such/page" not in text
