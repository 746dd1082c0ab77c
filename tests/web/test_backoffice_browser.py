"""The back office in a real browser: an order with a duplicate passport waits in the inbox;
the clerk claims it, compares the buyer with the client records, gets a field error, chooses a
record, and the manager's order moves on. Operators' pages refuse a manager."""
import re

import pytest
from playwright.sync_api import expect

from app.api.factory import create_app
from tests.e2e.harness import DUPLICATE_CLIENT_PASSPORT, Api, order_body


@pytest.fixture
def api(system):
    return Api(create_app(system).test_client())


def close_to_the_first_record() -> dict:
    """A buyer who is client record C00000002 but typed in capitals; C00000003 differs in the
    middle name's spelling and the birth date."""
    body = order_body(passport=DUPLICATE_CLIENT_PASSPORT)
    body["depositor"].update(last_name="PETROVA", first_name="Anna", middle_name="Sergeevna",
                             birth_date="1990-07-21")
    body["depositor"]["passport"].update(issued_on="2010-08-10", issuer_code="770-002")
    return body


def fits_the_width(page) -> bool:
    """Nothing makes the whole page scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_clerk_resolves_duplicate_records_and_the_order_moves_on(pages, api):
    order_id = api.create(body=close_to_the_first_record())
    api.wait_status(order_id, "BACKOFFICE_REVIEW")

    clerk = pages()
    page = clerk.sign_in("backoffice")
    assert page.url.endswith("/inbox")
    row = page.locator(f"tr[data-order='{order_id}']")
    expect(row).to_contain_text("PETROVA Anna Sergeevna")
    clerk.shot("inbox with the new task")
    row.get_by_role("button", name="Claim").click()
    expect(page.get_by_role("status")).to_contain_text("You have taken the task.")
    expect(page.locator(f"tr[data-order='{order_id}']")).to_contain_text("you")
    page.goto("/inbox?mine=1")
    expect(page.locator(f"tr[data-order='{order_id}']")).to_be_visible()
    clerk.shot("inbox, my tasks")

    page.locator(f"tr[data-order='{order_id}'] a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resolve duplicate clients")
    table = page.locator("table.comparison")
    # the first record matches in every field (names compared without regard to case) ...
    expect(table.locator("th[data-client='C00000002']")).to_contain_text("0 differences")
    first = table.locator("tbody tr td:nth-child(3)")
    expect(first.locator("mark")).to_have_count(0)
    # ... the second differs in exactly the middle name and the birth date, and says so
    expect(table.locator("th[data-client='C00000003']")).to_contain_text("2 differences")
    marked = table.locator("tbody tr:has(td:nth-child(4) mark)")
    expect(marked).to_have_count(2)
    assert marked.evaluate_all("rows => rows.map(r => r.dataset.field)") == ["middle_name", "birth_date"]
    expect(table.locator("tr[data-field='birth_date'] td:nth-child(4)")).to_contain_text("Jul 12, 1990")
    clerk.shot("task with the buyer beside the records")

    # a decision that needs a record, without one: the server answers with the field's message
    page.get_by_label("Use the chosen record").check()
    page.get_by_role("button", name="Complete").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    expect(page.locator("#field-client_id-errors")).to_have_text("Choose the client record.")
    expect(page.get_by_label("Use the chosen record")).to_be_checked()       # values kept
    clerk.shot("field error")

    page.get_by_label(re.compile(r"\(C00000002\)")).check()
    page.get_by_role("button", name="Complete").click()
    page.wait_for_url("**/inbox")
    expect(page.get_by_role("status")).to_contain_text(f"Task completed: order {order_id} moves on.")
    expect(page.locator(f"tr[data-order='{order_id}']")).to_have_count(0)
    clerk.shot("inbox after completing")

    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    assert order["results"]["client_id"] == "C00000002"
    completed = [h for h in order["history"] if h["action"] == "task.completed"]
    assert completed[-1]["actor"] == "u-backoffice"


def test_the_task_page_in_russian_and_on_a_narrow_screen(pages, api):
    order_id = api.create(body=close_to_the_first_record())
    api.wait_status(order_id, "BACKOFFICE_REVIEW")
    phone = pages(width=390, height=844)
    page = phone.sign_in("backoffice")
    page.get_by_role("link", name="RU").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Задачи")
    assert fits_the_width(page)
    phone.shot("inbox in Russian, narrow")
    page.locator(f"tr[data-order='{order_id}'] a").first.click()
    expect(page.get_by_role("button", name="Завершить")).to_be_visible()
    expect(page.locator("table.comparison")).to_contain_text("21 июл. 1990")
    assert fits_the_width(page)                       # the wide table scrolls inside its box
    phone.shot("task in Russian, narrow")
    page.get_by_role("button", name="Завершить").click()               # no decision chosen
    expect(page.locator("#field-decision-errors")).to_have_text("Выберите решение.")
    phone.shot("field error in Russian")
    page.get_by_label("Отклонить поручение").check()
    page.get_by_label("Причина отказа").fill("Разные люди с одним паспортом")
    page.get_by_role("button", name="Завершить").click()
    page.wait_for_url("**/inbox")
    assert api.wait_status(order_id, "REJECTED")["status"] == "REJECTED"


def test_a_manager_may_not_open_the_back_office_and_operator_pages(pages):
    manager = pages()
    manager.sign_in("manager-1", next="/inbox")
    for path in ("/inbox", "/incidents", "/dashboard"):
        page = manager.refused(path)
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    navigation = manager.page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Inbox")).to_have_count(0)
