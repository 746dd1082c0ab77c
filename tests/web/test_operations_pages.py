"""The operator's pages through the test client: the dashboard's numbers against the store,
how they move, and the incidents page (resolve with a reason, the followed row, roles)."""
import re

import pytest

from app.api.factory import create_app
from app.domain.clock import utcnow
from app.domain.statuses import ALL as STATUSES
from app.services import dashboard
from app.domain.caller import Caller
from app.services.errors import Forbidden
from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, Api, order_body
from tests.web.test_sign_in import client, csrf, sign_in  # noqa: F401  (fixture and helpers)


@pytest.fixture
def api(system):
    yield Api(create_app(system).test_client())
    system.bank.reset()


@pytest.fixture
def admin(client):
    sign_in(client, "admin")
    return client


def figures(client) -> dict[str, int]:
    """Every number of the dashboard by its data-figure name (steps: '<step>.failures' ...)."""
    html = client.get("/dashboard").get_data(as_text=True)
    found = {name: int(value) for name, value in re.findall(r'data-figure="([^"]+)"[^>]*>(\d+)<', html)}
    for step, cells in re.findall(r'<tr data-step="([^"]+)">(.*?)</tr>', html, re.S):
        for name, value in re.findall(r'data-figure="(failures|retries)">(\d+)<', cells):
            found[f"{step}.{name}"] = int(value)
    return found


def test_the_dashboard_counts_what_the_store_holds(api, admin, system):
    in_review = api.create(body=order_body(passport=DUPLICATE_CLIENT_PASSPORT))
    api.wait_status(in_review, "BACKOFFICE_REVIEW")
    shown = figures(admin)
    for status in STATUSES:
        assert shown[f"status-{status}"] == system.repo.count({"status": status}), status
    for company in ("dev-1", "dev-2"):
        assert shown.get(f"company-{company}", 0) == system.repo.count({"company": company})
    tasks = api.get("/api/v1/tasks", who="admin", page_size=100).get_json()
    assert shown["queue-open"] == len(tasks) >= 1
    assert shown["queue-overdue"] == sum(t["overdue"] for t in tasks)
    open_incidents = api.get("/api/v1/incidents", who="admin", status="open").get_json()
    assert shown["incidents-open"] == len(open_incidents)
    html = admin.get("/dashboard").get_data(as_text=True)
    oldest = min(tasks, key=lambda t: t["created_at"])
    assert f'href="/tasks/{oldest["id"]}" data-figure="queue-oldest"' in html
    assert 'href="/orders?status=BACKOFFICE_REVIEW" data-figure="status-BACKOFFICE_REVIEW"' in html
    assert 'href="/inbox?overdue=1" data-figure="queue-overdue"' in html
    assert "Sunrise Development LLC" in html


@pytest.fixture
def small_history(system):
    """History pages out of the order document after 3 entries: the figures read both places."""
    cap = system.repo.history_cap
    system.repo.history_cap = 3
    yield
    system.repo.history_cap = cap


def test_failures_and_retries_of_the_last_hour_move_with_the_orders(api, admin, system, small_history):
    before = figures(admin)
    system.bank.set_fault("escrow.reserve_account", 2)           # two failures, then it works
    order_id = api.create(body=order_body(passport=("4606", "100001")))
    api.wait_status(order_id, "AWAITING_SIGNATURE")
    after = figures(admin)
    assert after["reserve_account.failures"] - before.get("reserve_account.failures", 0) == 2
    assert after["reserve_account.retries"] - before.get("reserve_account.retries", 0) == 2
    assert after["status-AWAITING_SIGNATURE"] == before["status-AWAITING_SIGNATURE"] + 1
    html = admin.get("/dashboard").get_data(as_text=True)
    row = re.search(r'<tr data-step="reserve_account">.*?</tr>', html, re.S).group(0)
    assert f'href="/orders/{order_id}"' in row
    # nothing of it happened after now
    assert all(order_id not in r["orders"] for r in dashboard.step_activity(system, utcnow()))


def open_incident(api, system, passport) -> dict:
    system.bank.set_fault("orders.create_depositor_order", -1)
    system.bank.set_fault("escrow.unbind_from_developer", -1)
    order_id = api.create(body=order_body(passport=passport))
    api.wait_status(order_id, "INCIDENT")
    system.bank.reset()
    return next(i for i in api.get("/api/v1/incidents", who="admin", status="open").get_json()
                if i["order_id"] == order_id)


def test_resolving_needs_a_reason_and_then_closes_the_incident(api, admin, system):
    incident = open_incident(api, system, ("4606", "200001"))
    listed = admin.get("/incidents").get_data(as_text=True)
    assert f'data-incident="{incident["id"]}"' in listed and "escrow.unbind_from_developer" in listed
    token = csrf(admin, "/incidents")
    refused = admin.post(f"/incidents/{incident['id']}/resolve", data={"csrf_token": token, "reason": "ok"})
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "Give the reason: 3 to 1000 characters." in html
    assert re.search(rf'id="reason-{incident["id"]}"[^>]*aria-invalid="true"[^>]*>ok</textarea>', html)
    assert "<details class=\"resolve\" open>" in html
    russian = admin.post(f"/incidents/{incident['id']}/resolve", data={"csrf_token": token},
                         headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Укажите причину: от 3 до 1000 символов." in russian

    done = admin.post(f"/incidents/{incident['id']}/resolve?status=open",
                      data={"csrf_token": token, "reason": "unbound by hand, ticket OPS-7"})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/incidents?status=open&watch={incident['id']}"
    api.wait_status(incident["order_id"], "ROLLED_BACK")
    resolved = admin.get("/incidents?status=resolved").get_data(as_text=True)
    assert f'data-incident="{incident["id"]}"' in resolved and "unbound by hand, ticket OPS-7" in resolved
    # the followed incident stays in sight although the filter is 'open'
    followed = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<tr id="incident-{incident["id"]}"[^>]*data-status="resolved"', followed)
    again = admin.post(f"/incidents/{incident['id']}/retry", data={"csrf_token": token})
    assert again.status_code == 302 and "This incident is closed already." in admin.get("/incidents").get_data(as_text=True)


def test_an_open_followed_row_reads_itself_again_a_bounded_number_of_times(api, admin, system):
    incident = open_incident(api, system, ("4606", "300001"))
    row = admin.get(f"/incidents/{incident['id']}/row?polls=3").get_data(as_text=True)
    assert f'hx-get="/incidents/{incident["id"]}/row?polls=2"' in row and "waiting for the worker" in row
    assert "Retry" not in row                                  # no second request while waiting
    last = admin.get(f"/incidents/{incident['id']}/row?polls=0").get_data(as_text=True)
    assert "hx-get" not in last and ">Retry</button>" in last
    page = admin.get(f"/incidents?watch={incident['id']}").get_data(as_text=True)
    assert f'/incidents/{incident["id"]}/row?polls=29' in page and "htmx.min.js" in page
    assert admin.get("/incidents/inc_nope/row").status_code == 404


def test_only_the_administrator_sees_the_operator_pages(api, client, system):
    incident = open_incident(api, system, ("4606", "400001"))
    for username in ("manager-1", "backoffice", "analyst"):
        sign_in(client, username)
        for path in ("/incidents", "/dashboard", f"/incidents/{incident['id']}/row"):
            assert client.get(path).status_code == 403, (username, path)
        token = csrf(client, "/login")
        assert client.post(f"/incidents/{incident['id']}/retry", data={"csrf_token": token}).status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert client.get("/dashboard").headers["Location"].startswith("/login")
    with pytest.raises(Forbidden):
        dashboard.summary(system, Caller(id="u-backoffice", name="B", role="backoffice", company=None))


def test_a_company_figure_links_to_exactly_that_companys_orders(api, admin, client):
    api.create(who="m2", body=order_body(passport=("4606", "500001"), project_id="p-dev2-riverside"))
    api.create(who="m1", body=order_body(passport=("4606", "500002")))
    shown = figures(admin)
    html = admin.get("/dashboard").get_data(as_text=True)
    assert 'href="/orders?company=dev-2" data-figure="company-dev-2"' in html
    listed = admin.get("/orders?company=dev-2").get_data(as_text=True)
    assert re.search(rf"\b{shown['company-dev-2']} orders?\b", listed) and "Company: dev-2" in listed
    assert "Sunrise Residence" not in listed and "Riverside Park" in listed
    by_api = api.get("/api/v1/orders", who="admin", company="dev-1", page_size=100).get_json()
    assert by_api and {o["company"] for o in by_api} == {"dev-1"}
    assert api.get("/api/v1/orders", who="m1", company="dev-2").get_json() == []   # not another's
