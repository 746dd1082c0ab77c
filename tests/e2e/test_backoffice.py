"""Issue 5: duplicate client records go to the back office; the inbox; forms."""
import pytest

from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, eventually, order_body

TASK_FIELDS = {"id", "order_id", "process", "name", "lane", "claimed_by", "due_at", "overdue",
               "form", "data"}


def inbox(api, who="bo", **filters) -> list[dict]:
    response = api.get("/api/v1/tasks", who=who, page_size=100, **filters)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def in_review(api, who="m1", body=None) -> tuple[str, dict]:
    order_id = api.create(who=who, body=body or order_body(passport=DUPLICATE_CLIENT_PASSPORT))
    api.wait_status(order_id, "BACKOFFICE_REVIEW", who=who)
    task = eventually(lambda: next((t for t in inbox(api) if t["order_id"] == order_id), None))
    return order_id, task


def test_duplicate_records_wait_in_the_back_office_inbox(api):
    order_id, task = in_review(api)
    assert TASK_FIELDS <= set(task)
    assert task["lane"] == "backoffice" and task["form"] == "backoffice_resolution.json"
    assert task["process"] == "backoffice_resolution"
    candidates = {c["client_id"] for c in task["data"]["candidates"]}
    assert candidates == {"C00000002", "C00000003"}
    assert task["due_at"] and task["overdue"] is False
    assert order_id not in {t["order_id"] for t in inbox(api, who="m2")}     # other company
    mine = next(t for t in inbox(api, who="m1") if t["order_id"] == order_id)  # same company
    assert mine["can_complete"] is False
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", who="m1").status_code == 403


def test_claim_and_use_an_existing_record(api, bank):
    order_id, task = in_review(api)
    claimed = api.post(f"/api/v1/tasks/{task['id']}/claim", who="bo")
    assert claimed.status_code == 200 and claimed.get_json()["claimed_by"] == "u-backoffice"
    assert [t["id"] for t in inbox(api, mine=True)].count(task["id"]) == 1
    assert api.post(f"/api/v1/tasks/{task['id']}/complete", who="admin",
                    json={"decision": "use_existing", "client_id": "C00000003"}).status_code == 409
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", who="bo",
                    json={"decision": "use_existing", "client_id": "C00000003"})
    assert done.status_code == 202
    assert task["id"] not in {t["id"] for t in inbox(api)}                    # gone at once
    again = api.post(f"/api/v1/tasks/{task['id']}/complete", who="bo",
                     json={"decision": "use_existing", "client_id": "C00000003"})
    assert again.status_code == 409
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    assert order["results"]["client_id"] == "C00000003"
    snapshot = bank.snapshot_for_order(order_id)
    assert snapshot["clients"] == [] and snapshot["active"]["reservations"] == 1
    assert next(r for r in snapshot["reservations"])["client_id"] == "C00000003"


def test_merge_the_records(api, bank):
    # Its own pair of duplicates: a merge leaves one record, and the seeded pair is shared.
    passport = {"series": "4604", "number": "777777", "issued_on": "2015-05-20", "issuer_code": "770-001"}
    for client_id, first_name in (("C90000001", "Anna"), ("C90000002", "Ana")):
        bank.add_client({"client_id": client_id, "last_name": "Ivanova", "first_name": first_name,
                         "middle_name": "Petrovna", "birth_date": "1985-04-12", "phone": "+79161234567",
                         "passport": passport})
    order_id, task = in_review(api, body=order_body(passport=("4604", "777777")))
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", who="bo",
                        json={"decision": "merge", "client_id": "C90000001"})
    assert response.status_code == 202
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    assert order["results"]["client_id"] == "C90000001"
    merge = next(m for m in bank.merges() if "C90000002" in str(m))
    assert "C90000001" in str(merge)
    assert [c["client_id"] for c in bank.find_clients_by_document("4604", "777777")] == ["C90000001"]


def test_reject_with_a_reason(api, bank):
    order_id, task = in_review(api)
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", who="bo",
                        json={"decision": "reject", "reason": "records belong to two people"})
    assert response.status_code == 202
    order = api.wait_status(order_id, "REJECTED")
    completed = [h for h in order["history"] if h["action"] == "task.completed"]
    assert completed and completed[0]["detail"]["data"]["reason"] == "records belong to two people"
    assert bank.snapshot_for_order(order_id)["holds_nothing"]


@pytest.mark.parametrize("body,field", [
    ({}, "decision"),
    ({"decision": "maybe"}, "decision"),
    ({"decision": "use_existing"}, "client_id"),
    ({"decision": "use_existing", "client_id": "C99999999"}, "client_id"),
    ({"decision": "reject"}, "reason"),
])
def test_invalid_form_data_is_422_and_the_task_stays_open(api, body, field):
    order_id, task = in_review(api)
    response = api.post(f"/api/v1/tasks/{task['id']}/complete", who="bo", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert task["id"] in {t["id"] for t in inbox(api)}
    api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "test cleanup"})


def test_roles_outside_the_lane_and_unknown_tasks(api):
    _, task = in_review(api)
    assert api.post(f"/api/v1/tasks/{task['id']}/complete", who="analyst",
                    json={"decision": "reject", "reason": "nope"}).status_code == 403
    assert api.post("/api/v1/tasks/nope/claim", who="bo").status_code == 404
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", who="bo").status_code == 200
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", who="admin").status_code == 409
    assert api.post(f"/api/v1/tasks/{task['id']}/unclaim", who="bo").get_json()["claimed_by"] is None


@pytest.fixture
def short_sla(system):
    settings = system.process_manager.settings
    system.process_manager.settings = settings.with_overrides(backoffice_sla_s=1)
    yield
    system.process_manager.settings = settings


def test_overdue_tasks_are_escalated(api, short_sla):
    order_id, task = in_review(api)
    escalated = eventually(lambda: next((t for t in inbox(api, overdue=True)
                                         if t["order_id"] == order_id and t["priority"] == "high"),
                                        None), timeout=15)
    assert escalated["overdue"] is True
    order = api.order(order_id)
    assert order["status"] == "BACKOFFICE_REVIEW"                      # the process goes on waiting
    assert any(s["name"] == "escalate" and s["state"] == "completed" for s in order["steps"])
    assert inbox(api)[0]["overdue"] is True                            # most urgent first


def test_the_form_renders_and_documents_the_completion_body(api):
    _, task = in_review(api)
    html = api.get(f"/api/v1/tasks/{task['id']}/form", who="bo", lang="ru")
    assert html.status_code == 200 and html.content_type.startswith("text/html")
    text = html.get_data(as_text=True)
    assert "C00000002" in text and "C00000003" in text and "Решение" in text
    spec = api.client.get("/api/openapi.json").get_json()
    body = spec["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]["requestBody"]
    refs = [r["$ref"] for r in body["content"]["application/json"]["schema"]["oneOf"]]
    assert "#/components/schemas/Form_backoffice_resolution" in refs
    decision = spec["components"]["schemas"]["Form_backoffice_resolution"]["properties"]["decision"]
    assert decision["enum"] == ["use_existing", "merge", "reject"]
