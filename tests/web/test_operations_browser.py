"""The operator in a real browser: a rollback that cannot finish opens an incident; the admin
sees it on the dashboard and the incidents page, retries it once the cause is gone, and sees it
close without reloading."""
import pytest
from playwright.sync_api import expect

from app.api.factory import create_app
from tests.e2e.harness import Api, order_body
from tests.web.test_backoffice_browser import fits_the_width


@pytest.fixture
def api(system):
    yield Api(create_app(system).test_client())
    system.bank.reset()   # no fault outlives its test


def test_an_operator_retries_an_incident_and_sees_it_close(pages, api, system):
    # binding keeps failing, so the saga rolls back; releasing the reserved account fails too
    system.bank.set_fault("escrow.bind_to_developer", -1)
    system.bank.set_fault("escrow.release_account", -1)
    order_id = api.create(body=order_body(passport=("4605", "100001")))
    api.wait_status(order_id, "INCIDENT")

    admin = pages()
    page = admin.sign_in("admin")
    assert page.url.endswith("/dashboard")
    open_incidents = page.locator("[data-figure='incidents-open']")
    assert int(open_incidents.inner_text()) >= 1
    expect(page.locator("[data-figure='status-INCIDENT']")).to_have_attribute("href", "/orders?status=INCIDENT")
    failing = page.locator("tr[data-step='bind_account']")
    assert int(failing.locator("[data-figure='failures']").inner_text()) >= 3   # every attempt
    assert int(failing.locator("[data-figure='retries']").inner_text()) >= 2    # all but the first
    admin.shot("dashboard with an incident")

    open_incidents.click()
    page.wait_for_url("**/incidents")
    row = page.locator("tr[data-incident]", has=page.locator(f"a[href='/orders/{order_id}']"))
    expect(row).to_contain_text("reserve_account")
    expect(row).to_contain_text("escrow.release_account")
    expect(row.locator("td.number")).to_have_text("5")     # the model's patience for rollbacks
    admin.shot("incidents")

    # resolving needs a reason: the server says so at the field and keeps the page
    row.locator("summary").click()
    row.get_by_label("Reason (what was done by hand)").fill("no")
    row.get_by_role("button", name="Mark as resolved").click()
    row = page.locator("tr[data-incident]", has=page.locator(f"a[href='/orders/{order_id}']"))
    expect(row.locator("textarea")).to_have_value("no")
    expect(row.locator("textarea")).to_have_attribute("aria-invalid", "true")
    expect(row).to_contain_text("Give the reason: 3 to 1000 characters.")
    admin.shot("resolve needs a reason")

    # the cause is gone: the undo works again, slowly, so the page is seen waiting for it
    system.bank.reset()
    system.bank.set_fault("escrow.release_account", 0, latency_ms=1500)
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text("Retry requested")
    watched = page.locator("tr.watched")
    expect(watched).to_have_attribute("data-status", "open")
    expect(watched.locator("[aria-busy=true]")).to_have_text("waiting for the worker")
    admin.shot("incident waiting for the retry")
    expect(watched).to_have_attribute("data-status", "retried", timeout=15_000)   # no reload
    expect(watched.locator(".badge")).to_have_text("retried")
    expect(watched).to_contain_text("you")
    expect(watched.get_by_role("button")).to_have_count(0)
    admin.shot("incident closed by the retry")
    assert api.wait_status(order_id, "ROLLED_BACK")["status"] == "ROLLED_BACK"

    page.get_by_role("button", name="retried", exact=True).click()
    expect(page.locator("tr[data-incident]", has=page.locator(f"a[href='/orders/{order_id}']"))).to_be_visible()
    admin.shot("closed incidents")


def test_the_operator_pages_on_a_narrow_screen(pages):
    phone = pages(width=390, height=844)
    page = phone.sign_in("admin", next="/incidents?status=all")
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    assert fits_the_width(page)
    phone.shot("incidents, narrow")
    page.goto("/dashboard")
    assert fits_the_width(page)
    phone.shot("dashboard, narrow")
