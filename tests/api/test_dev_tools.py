"""The dev tools (embedded default only) answer the people they are for: fault injection and the
whole SMS outbox the admin; one order's SMS its own company's manager and the admin."""
import pytest

from app.api.factory import create_app
from tests.api.conftest import order_for
from tests.e2e.harness import TOKENS, Api, headers

EVERYONE = tuple(TOKENS)


@pytest.fixture(scope="module")
def orders(api):
    """One order awaiting its signature per company: SMS were sent for both."""
    ids = {who: api.create(who, body=order_for(who)) for who in ("m1", "m2")}
    for who, order_id in ids.items():
        api.wait_status(order_id, "AWAITING_SIGNATURE", who=who)
    return ids


@pytest.fixture(scope="module")
def api(app, system):
    yield Api(app.test_client())
    system.bank.reset()


@pytest.mark.parametrize("who", EVERYONE)
def test_fault_injection_is_the_admins(api, who):
    body = {"operation": "escrow.reserve_account", "fail_times": 0, "latency_ms": 1}
    post = api.post("/api/v1/dev/faults", who=who, json=body)
    get = api.get("/api/v1/dev/faults", who=who)
    if who == "admin":
        assert post.status_code == 200 and get.status_code == 200
        assert get.get_json()["faults"]["escrow.reserve_account"]["latency_ms"] == 1
    else:
        assert (post.status_code, get.status_code) == (403, 403), post.get_json()
    api.client.post("/api/v1/dev/faults", json={"operation": "escrow.reserve_account", "fail_times": 0},
                    headers=headers("admin"))


@pytest.mark.parametrize("who", EVERYONE)
def test_the_whole_outbox_is_the_admins(api, orders, who):
    response = api.get("/api/v1/dev/sms", who=who)
    if who == "admin":
        sent_for = {m["order_id"] for m in response.get_json()}
        assert set(orders.values()) <= sent_for
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("who, company, expected", [
    ("m1", "m1", 200), ("m1", "m2", 404), ("m2", "m2", 200), ("m2", "m1", 404),
    ("admin", "m1", 200), ("admin", "m2", 200), ("bo", "m1", 403), ("analyst", "m2", 403)])
def test_one_orders_sms_for_its_manager_and_the_admin(api, orders, who, company, expected):
    response = api.get("/api/v1/dev/sms", who=who, order_id=orders[company])
    assert response.status_code == expected, response.get_json()
    if expected == 200:
        messages = response.get_json()
        assert messages and {m["order_id"] for m in messages} == {orders[company]}
        assert all(m["sent_at"].endswith("+00:00") for m in messages)
    else:
        assert orders[company] not in response.get_data(as_text=True)


def test_unauthenticated_dev_calls_are_401(api):
    for path in ("/api/v1/dev/faults", "/api/v1/dev/sms", "/api/v1/dev/kafka"):
        assert api.client.get(path).status_code == 401
        assert api.client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_production_has_no_dev_tools(system):
    production = system.settings.with_overrides(env="production")
    client = create_app(type(system)(**{**system.__dict__, "settings": production})).test_client()
    for path in ("/api/v1/dev/faults", "/api/v1/dev/sms", "/api/v1/dev/kafka"):
        assert client.get(path, headers=headers("admin")).status_code == 404
    assert not [p for p in client.get("/api/openapi.json").get_json()["paths"] if "/dev/" in p]
