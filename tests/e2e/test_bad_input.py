"""Bad input of every kind gets a clear 4xx, never a 500, and nothing is stored."""
import pytest

from tests.e2e.harness import headers, order_body

WEIRD_BODIES = [None, "", "not json", "[]", "[1, 2]", "null", "42", '"text"', "{",
                '{"project_id": 5}', '{"amount": 1e308}', '{"depositor": "x"}',
                '{"depositor": {"passport": []}}', '{"agreement": {"date": "31.12.2026"}}',
                '{"amount": 99999999999999999999999999999}', '{"escrow_until": "2028-02-30"}']


def post_raw(api, path, body, who="m1"):
    return api.client.post(path, data=body, headers={**headers(who), "Content-Type": "application/json"})


@pytest.mark.parametrize("body", WEIRD_BODIES)
def test_create_order_never_500(api, body):
    before = api.get("/api/v1/orders", page_size=1).headers["X-Pagination"]
    response = post_raw(api, "/api/v1/orders", body)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json and response.get_json().get("code") in (400, 422)
    assert api.get("/api/v1/orders", page_size=1).headers["X-Pagination"] == before


@pytest.mark.parametrize("path", ["/api/v1/orders/nope/cancel", "/api/v1/orders/nope/signature",
                                  "/api/v1/orders/nope/signature/code", "/api/v1/tasks/nope/complete",
                                  "/api/v1/incidents/nope/resolve", "/api/v1/dev/faults", "/api/v1/models"])
@pytest.mark.parametrize("body", ["{", "[]", '{"code": {"x": 1}}', '{"reason": 5}', '{"fail_times": "x"}'])
def test_other_endpoints_never_500(api, path, body):
    for who in ("m1", "bo", "admin", "analyst"):
        response = post_raw(api, path, body, who=who)
        assert 400 <= response.status_code < 500, (who, response.get_data(as_text=True))


@pytest.mark.parametrize("query", [{"page": "x"}, {"page": -1}, {"page_size": 100000}, {"page": "1e9"},
                                   {"overdue": "maybe"}])
def test_list_queries_never_500(api, query):
    for path in ("/api/v1/orders", "/api/v1/tasks"):
        response = api.get(path, **query)
        expected_ok = path == "/api/v1/orders" and "overdue" in query  # not a filter of orders
        assert response.status_code == 200 if expected_ok else 400 <= response.status_code < 500
    assert api.get("/api/v1/orders", status="x").status_code == 422


def test_unknown_routes_and_methods_are_json_4xx(api):
    assert api.get("/api/v1/nowhere").status_code == 404
    response = api.client.delete("/api/v1/orders", headers=headers())
    assert response.status_code == 405


def test_unknown_fields_are_named(api):
    body = order_body()
    body["surprise"] = 1
    response = api.client.post("/api/v1/orders", json=body, headers=headers())
    assert response.status_code == 422 and "surprise" in response.get_json()["errors"]["json"]
