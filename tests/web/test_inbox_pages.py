"""The back office's pages through the test client: inbox, filters, claims, the task page with
the buyer beside the candidates, field errors, completion and who may do what."""
import re

import pytest

from app.api.factory import create_app
from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, Api, eventually, order_body
from tests.e2e.test_backoffice import short_sla  # noqa: F401  (fixture: a one-second SLA)
from tests.web.test_sign_in import client, csrf, sign_in  # noqa: F401  (fixture and helpers)


@pytest.fixture
def api(system):
    return Api(create_app(system).test_client())


@pytest.fixture
def clerk(client):
    sign_in(client, "backoffice")
    return client


def in_review(api, body=None) -> tuple[str, str]:
    """(order id, task id) of a new order waiting in the back office."""
    order_id = api.create(body=body or order_body(passport=DUPLICATE_CLIENT_PASSPORT))
    api.wait_status(order_id, "BACKOFFICE_REVIEW")
    tasks = api.get("/api/v1/tasks", who="bo", page_size=100).get_json()
    return order_id, next(t["id"] for t in tasks if t["order_id"] == order_id)


def row_of(html: str, order_id: str) -> str | None:
    match = re.search(rf'<tr data-task="[^"]+" data-order="{order_id}".*?</tr>', html, re.S)
    return match.group(0) if match else None


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_the_inbox_lists_the_task_with_buyer_due_time_and_a_claim_button(api, clerk):
    order_id, task_id = in_review(api)
    row = row_of(page(clerk, "/inbox"), order_id)
    assert f'href="/tasks/{task_id}"' in row and "Ivanova Anna Petrovna" in row
    assert re.search(r"\d+/\d+/\d+, \d+:\d+\s*[AP]M", row)             # SLA due time, en-US format
    assert f'action="/tasks/{task_id}/claim"' in row and 'class="overdue"' not in row


def test_filters_mine_and_unclaimed_follow_the_claims(api, clerk):
    order_id, task_id = in_review(api)
    assert row_of(page(clerk, "/inbox?unclaimed=1"), order_id)
    assert not row_of(page(clerk, "/inbox?mine=1"), order_id)
    claimed = clerk.post(f"/tasks/{task_id}/claim", data={"csrf_token": csrf(clerk, "/inbox"), "next": "/inbox?mine=1"})
    assert claimed.status_code == 302 and claimed.headers["Location"] == "/inbox?mine=1"
    mine = page(clerk, "/inbox?mine=1")
    assert "You have taken the task." in mine
    assert f'action="/tasks/{task_id}/unclaim"' in row_of(mine, order_id)
    assert not row_of(page(clerk, "/inbox?unclaimed=1"), order_id)
    clerk.post(f"/tasks/{task_id}/unclaim", data={"csrf_token": csrf(clerk, "/inbox")})
    assert row_of(page(clerk, "/inbox?unclaimed=1"), order_id)


def test_overdue_tasks_are_marked_and_filtered(api, clerk, short_sla):
    order_id, _ = in_review(api)
    row = eventually(lambda: row_of(page(clerk, "/inbox?overdue=1"), order_id), timeout=15)
    assert 'class="overdue"' in row and "badge-overdue" in row
    assert re.search(r'badge-high">high<', eventually(lambda: (r := row_of(page(clerk, "/inbox"), order_id))
                                                      and "badge-high" in r and r, timeout=15))


def test_the_task_page_marks_exactly_the_fields_that_differ(api, clerk):
    body = order_body(passport=DUPLICATE_CLIENT_PASSPORT)
    body["depositor"].update(last_name="petrova", first_name="ANNA", middle_name="Sergeevna",
                             birth_date="1990-07-21")
    body["depositor"]["passport"].update(issued_on="2010-08-10", issuer_code="770-002")
    _, task_id = in_review(api, body)
    html = page(clerk, f"/tasks/{task_id}")
    rows = dict(re.findall(r'<tr data-field="([^"]+)">(.*?)</tr>', html, re.S))
    differing = {field: len(re.findall(r'<td class="differs">', cells)) for field, cells in rows.items()}
    # C00000002 is this buyer; C00000003 spells the middle name otherwise and has another birthday
    assert differing == {"last_name": 0, "first_name": 0, "middle_name": 1, "birth_date": 1,
                         "passport": 0, "passport.issued_on": 0, "passport.issuer_code": 0}
    assert "0 differences" in html and "2 differences" in html
    assert '<td class="buyer">petrova</td>' in rows["last_name"]
    assert '<mark>Jul 12, 1990</mark>' in rows["birth_date"]
    assert '<button type="submit">Complete</button>' in html and 'novalidate' in html


def test_an_invalid_completion_answers_200_with_field_errors_and_keeps_the_values(api, clerk):
    order_id, task_id = in_review(api)
    token = csrf(clerk, f"/tasks/{task_id}")
    response = clerk.post(f"/tasks/{task_id}", data={"csrf_token": token, "decision": "reject", "reason": "no"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="field-reason-errors"><span>At least 3 characters.</span>' in html
    assert 'value="reject" checked' in html and ">no</textarea>" in html
    assert row_of(page(clerk, "/inbox"), order_id)                       # still waiting
    russian = clerk.post(f"/tasks/{task_id}", data={"csrf_token": token},
                         headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Выберите решение." in russian and "Исправьте отмеченные поля." in russian


def test_completing_returns_to_the_inbox_without_the_task_and_the_order_moves_on(api, clerk):
    order_id, task_id = in_review(api)
    response = clerk.post(f"/tasks/{task_id}", data={"csrf_token": csrf(clerk, f"/tasks/{task_id}"),
                                                     "decision": "use_existing", "client_id": "C00000003"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    inbox = page(clerk, "/inbox")
    assert f"Task completed: order {order_id} moves on." in inbox and not row_of(inbox, order_id)
    assert api.wait_status(order_id, "AWAITING_SIGNATURE")["results"]["client_id"] == "C00000003"
    again = clerk.get(f"/tasks/{task_id}")                               # a stale link
    assert again.status_code == 302 and again.headers["Location"] == "/inbox"


def test_a_task_taken_by_someone_else_cannot_be_completed_here(api, clerk):
    order_id, task_id = in_review(api)
    assert api.post(f"/api/v1/tasks/{task_id}/claim", who="admin").status_code == 200
    html = page(clerk, f"/tasks/{task_id}")
    assert "This task is taken by Anton Admin: only they can complete it." in html
    assert "<button type=\"submit\">Complete</button>" not in html
    assert f'action="/tasks/{task_id}/unclaim"' not in html             # not the clerk's to give back
    refused = clerk.post(f"/tasks/{task_id}", data={"csrf_token": csrf(clerk, "/inbox"), "decision": "reject",
                                                    "reason": "not mine to decide"})
    assert refused.status_code == 302
    assert "The task is taken by Anton Admin." in page(clerk, f"/tasks/{task_id}")
    taken = clerk.post(f"/tasks/{task_id}/claim", data={"csrf_token": csrf(clerk, "/inbox")})
    assert taken.status_code == 302 and "The task is taken by Anton Admin." in page(clerk, "/inbox")
    assert api.order(order_id)["status"] == "BACKOFFICE_REVIEW"


def test_who_may_open_the_back_office_pages(api, client):
    _, task_id = in_review(api)
    assert client.get("/inbox").headers["Location"].startswith("/login")
    assert client.get(f"/tasks/{task_id}").headers["Location"].startswith("/login")
    for username in ("manager-1", "analyst"):
        sign_in(client, username)
        assert client.get("/inbox").status_code == 403
        assert client.get(f"/tasks/{task_id}").status_code == 403
        assert client.post(f"/tasks/{task_id}/claim", data={"csrf_token": csrf(client, "/login")}).status_code == 403
        client.post("/logout", data={"csrf_token": csrf(client, "/login")})
    sign_in(client, "admin")
    assert client.get(f"/tasks/{task_id}").status_code == 200


def test_changes_need_the_csrf_token_and_unknown_tasks_are_404(api, clerk):
    _, task_id = in_review(api)
    assert clerk.post(f"/tasks/{task_id}/claim").status_code == 400
    assert clerk.post(f"/tasks/{task_id}", data={"decision": "reject", "reason": "no token"}).status_code == 400
    assert clerk.get("/tasks/not-a-task").status_code == 404
    assert clerk.get("/tasks/00000000-0000-4000-8000-000000000000").status_code == 404
