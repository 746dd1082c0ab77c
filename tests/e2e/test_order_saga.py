"""Issue 2: the order-creation saga end to end, through the API, on the embedded default."""
import pytest

from tests.e2e.harness import (DUPLICATE_CLIENT_PASSPORT, EXISTING_CLIENT_PASSPORT, order_body,
                               headers, step)

SAGA = ["compliance_check", "find_client", "create_client", "reserve_account", "bind_account",
        "create_depositor_order", "send_code"]


def test_new_client_goes_through_every_step(api, bank):
    order_id = api.create(body=order_body(passport=("4601", "200001")))
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    done = {s["name"]: s for s in order["steps"]}
    for name in SAGA:
        assert done[name]["state"] == "completed", done[name]
        assert done[name]["attempts"] == 1
        assert done[name]["started_at"] and done[name]["finished_at"]
    assert [s["name"] for s in order["steps"]][: len(SAGA)] == SAGA
    assert step(order, "reserve_account")["handler"] == "escrow.reserve_account"
    held = bank.snapshot_for_order(order_id)["active"]
    assert held == {"clients": 1, "reservations": 1, "bindings": 1, "depositor_orders": 1}
    assert order["results"]["client_id"] and order["results"]["escrow_account"]


def test_existing_client_is_used_not_created(api, bank):
    order_id = api.create(body=order_body(passport=EXISTING_CLIENT_PASSPORT))
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    names = [s["name"] for s in order["steps"]]
    assert "create_client" not in names
    snapshot = bank.snapshot_for_order(order_id)
    assert snapshot["clients"] == [] and "clients.create_depositor" not in snapshot["effects"]
    assert snapshot["active"]["reservations"] == 1 and snapshot["active"]["depositor_orders"] == 1


def test_duplicate_client_records_go_to_back_office(api, bank):
    order_id = api.create(body=order_body(passport=DUPLICATE_CLIENT_PASSPORT))
    order = api.wait_status(order_id, "BACKOFFICE_REVIEW")
    assert "reserve_account" not in [s["name"] for s in order["steps"]]
    assert bank.snapshot_for_order(order_id)["active"]["reservations"] == 0


def test_order_history_records_creation_and_status_changes(api):
    order_id = api.create(body=order_body(passport=("4601", "200002")))
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    actions = [h["action"] for h in order["history"]]
    assert actions[0] == "order.created"
    transitions = [(h["detail"]["from"], h["detail"]["to"]) for h in order["history"] if h["action"] == "status"]
    assert transitions == [("DRAFT", "PROCESSING"), ("PROCESSING", "AWAITING_SIGNATURE")]


def test_idempotency_key_returns_the_same_order(api):
    body = order_body(passport=("4601", "200003"))
    first = api.client.post("/api/v1/orders", json=body, headers=headers("m1", **{"Idempotency-Key": "k-1"}))
    again = api.client.post("/api/v1/orders", json=body, headers=headers("m1", **{"Idempotency-Key": "k-1"}))
    assert first.status_code == again.status_code == 202
    assert first.get_json()["id"] == again.get_json()["id"]
    other = api.client.post("/api/v1/orders", json=order_body(passport=("4601", "200004")),
                            headers=headers("m1", **{"Idempotency-Key": "k-1"}))
    assert other.status_code == 409


def test_manager_of_another_company_gets_404(api):
    order_id = api.create(who="m1", body=order_body(passport=("4601", "200005")))
    assert api.get(f"/api/v1/orders/{order_id}", who="m2").status_code == 404
    assert api.get(f"/api/v1/orders/{order_id}", who="m1").status_code == 200
    listed = api.get("/api/v1/orders", who="m2").get_json()
    assert order_id not in [o["id"] for o in listed]


def test_list_is_newest_first_paginated_and_filtered(api):
    ids = [api.create(body=order_body(passport=("4601", f"30000{i}"))) for i in range(3)]
    page = api.get("/api/v1/orders", page=1, page_size=2)
    assert page.status_code == 200
    listed = [o["id"] for o in page.get_json()]
    assert listed == ids[::-1][:2]
    assert "X-Pagination" in page.headers
    for order_id in ids:
        api.wait_status(order_id, "AWAITING_SIGNATURE")
    waiting = api.get("/api/v1/orders", status="AWAITING_SIGNATURE", page_size=100).get_json()
    assert set(ids) <= {o["id"] for o in waiting}
    assert api.get("/api/v1/orders", status="NOPE").status_code == 422


@pytest.mark.parametrize("path,value,field", [
    (("depositor", "inn"), "500100732258", "inn"),
    (("depositor", "snils"), "112-233-445 96", "snils"),
    (("depositor", "phone"), "+7916123", "phone"),
    (("amount",), -5, "amount"),
    (("amount",), "100", "amount"),
    (("depositor", "birth_date"), "2015-01-01", "birth_date"),
    (("escrow_until",), "2020-01-01", "escrow_until"),
])
def test_invalid_bodies_get_422_with_field_messages(api, path, value, field):
    body = order_body()
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    before = api.get("/api/v1/orders", page_size=100).headers["X-Pagination"]
    response = api.client.post("/api/v1/orders", json=body, headers=headers("m1"))
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    found = errors
    for key in path[:-1]:
        found = found[key]
    assert field in found, errors
    assert api.get("/api/v1/orders", page_size=100).headers["X-Pagination"] == before  # nothing stored


def test_passport_format_and_foreign_project_are_rejected(api):
    body = order_body(passport=("45A0", "12345"))
    body["depositor"]["passport"]["issuer_code"] = "770001"
    errors = api.client.post("/api/v1/orders", json=body, headers=headers("m1")).get_json()["errors"]["json"]
    assert set(errors["depositor"]["passport"]) >= {"series", "number", "issuer_code"}
    foreign = api.client.post("/api/v1/orders", json=order_body(project_id="p-dev2-riverside"),
                              headers=headers("m1"))
    assert foreign.status_code == 422 and "project_id" in foreign.get_json()["errors"]["json"]


def test_authentication_and_roles(api):
    assert api.client.get("/api/v1/orders").status_code == 401
    assert api.client.get("/api/v1/orders", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.client.post("/api/v1/orders", json=order_body(), headers=headers("bo")).status_code == 403


def test_projects_are_the_callers_companys(api):
    projects = api.get("/api/v1/projects", who="m1").get_json()
    assert projects and all(p["developer"] == "dev-1" for p in projects)
    assert {"id", "name", "developer", "developer_account"} <= set(projects[0])
    assert all(p["developer"] == "dev-2" for p in api.get("/api/v1/projects", who="m2").get_json())


def test_health_and_openapi(api):
    health = api.client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    ready = api.client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["checks"]["mongodb"] == ready["checks"]["kafka"] == "ok"
    spec = api.client.get("/api/openapi.json").get_json()
    assert "/api/v1/orders" in spec["paths"] and "/api/v1/orders/{order_id}" in spec["paths"]


def test_fault_endpoint_validates_operation(api):
    bad = api.post("/api/v1/dev/faults", who="admin", json={"operation": "nope", "fail_times": 1})
    assert bad.status_code == 422
    ok = api.post("/api/v1/dev/faults", who="admin", json={"operation": "escrow.reserve_account", "fail_times": 0})
    assert ok.status_code == 200
