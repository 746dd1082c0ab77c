"""Managers see that their order waits for the back office, never the task's data: the candidate
client records are other people's (passports, birth dates, client ids)."""
from tests.api.conftest import order_for
from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, headers

CANDIDATE_IDS = {"C00000002", "C00000003"}


def test_managers_see_the_wait_but_no_task_data(api):
    order_id = api.create("m1", body=order_for("m1", passport=DUPLICATE_CLIENT_PASSPORT))
    api.wait_status(order_id, "BACKOFFICE_REVIEW")
    worker_view = next(t for t in api.get("/api/v1/tasks", who="bo", page_size=100).get_json()
                       if t["order_id"] == order_id)
    assert {c["client_id"] for c in worker_view["data"]["candidates"]} == CANDIDATE_IDS
    assert worker_view["buyer"]["last_name"] == "Ivanova"  # side by side with the order's buyer

    tasks = api.get("/api/v1/tasks", who="m1", page_size=100)
    mine = next(t for t in tasks.get_json() if t["order_id"] == order_id)
    assert mine["id"] == worker_view["id"] and mine["name"] == worker_view["name"]
    assert mine["data"] == {} and mine["buyer"] is None and mine["can_complete"] is False
    order = api.get(f"/api/v1/orders/{order_id}", who="m1")
    for answer in (tasks, order):
        assert not any(c in answer.get_data(as_text=True) for c in CANDIDATE_IDS)
    for path in ("claim", "unclaim", "complete", "form"):
        method = api.client.get if path == "form" else api.client.post
        response = method(f"/api/v1/tasks/{mine['id']}/{path}", headers=headers("m1"), json={})
        assert response.status_code == 403
        assert not any(c in response.get_data(as_text=True) for c in CANDIDATE_IDS)
    assert not [t for t in api.get("/api/v1/tasks", who="analyst", page_size=100).get_json()]
