"""The manager's pages in a real browser: create an order through the form, watch it move
without reloading, sign with the code from the SMS panel, wrong codes, new codes, cancel,
a rollback on the diagram, company scoping, Russian, a narrow screen."""
import re
import time
from dataclasses import replace
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from app.services import orders
from app.store.documents import User
from app.store.users import caller_of
from tests.e2e.harness import order_body

SLOW = 20_000  # ms: the saga on a busy machine
CODE = re.compile(r"code is (\d{6})")


def create(system, username="manager-1", passport=("4603", "100001"), **changes) -> str:
    """An order created through the same use case the form calls (for tests about later steps)."""
    body = order_body(passport=passport)
    body.update(changes)
    return orders.create_order(system, caller_of(User.objects(username=username).first()), body)["_id"]


def sign_in_to(p, username: str, path: str):
    """Sign in from a link to `path` (the login form's `next`), landing there."""
    page = p.page
    page.goto(f"/login?next={quote(path)}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    return page


def status(page):
    return page.locator("#status-title .status")


def stay_on_page(page):
    """Mark the window: a reload or navigation would lose the mark."""
    page.evaluate("window.__noReload = true")
    return lambda: page.evaluate("window.__noReload === true")


def sms_code(page, newest=True) -> str:
    texts = page.locator(".sms-text").all_inner_texts()
    return CODE.search(texts[0 if newest else -1]).group(1)


def element(page, element_id: str):
    return page.locator(f'#order-diagram g.djs-element[data-element-id="{element_id}"]')


def diagram_shot(p, name: str):
    """A close-up of the diagram, beside the page's full screenshots."""
    path = p.shot(name)
    p.page.locator("#order-diagram").screenshot(path=str(path.with_name(path.stem + "-diagram.png")))


def fill_order_form(page, inn: str):
    page.select_option("select[name=project_id]", "p-dev1-sunrise")
    for name, value in {
        "agreement.number": "DDU-501/2026", "agreement.date": "2026-11-02",
        "amount": "12 500 000,50", "escrow_until": "2029-12-31",
        "depositor.last_name": "Kuznetsova", "depositor.first_name": "Olga",
        "depositor.middle_name": "Igorevna", "depositor.birth_date": "1987-02-03",
        "depositor.phone": "+7 916 555-01-02", "depositor.passport.series": "4603",
        "depositor.passport.number": "500001", "depositor.passport.issued_on": "2012-03-04",
        "depositor.passport.issuer_code": "770-011", "depositor.inn": inn,
        "depositor.snils": "112-233-445 95",
    }.items():
        page.fill(f'[name="{name}"]', value)


def test_a_manager_creates_an_order_watches_it_and_signs_it(pages, system):
    p = pages()
    page = p.sign_in("manager-1")
    page.get_by_role("link", name="New order").first.click()
    fill_order_form(page, inn="500100732250")                  # wrong check digit
    page.get_by_role("button", name="Create order").click()
    inn_error = page.locator("#f-depositor-inn-error")
    expect(inn_error).to_contain_text("INN check digits do not match")
    expect(page.locator('[name="depositor.inn"]')).to_have_attribute("aria-invalid", "true")
    assert page.input_value('[name="depositor.last_name"]') == "Kuznetsova"   # values kept
    assert page.input_value('[name="amount"]') == "12 500 000,50"
    expect(page.locator("#insurance-note")).to_be_visible()  # 12.5 million: above the insured limit
    p.shot("form with a wrong INN")

    page.fill('[name="depositor.inn"]', "500100732259")
    page.get_by_role("button", name="Create order").click()
    expect(page).to_have_url(re.compile(r"/orders/ord_"))
    p.shot("order created")
    same_page = stay_on_page(page)
    expect(page.get_by_role("note").first).to_contain_text("deposit insurance limit")
    expect(status(page)).to_have_text("Awaiting signature", timeout=SLOW)
    assert same_page(), "the page reloaded instead of updating itself"
    expect(element(page, "send_code")).to_have_class(re.compile(r"\bstate-completed\b"))
    expect(element(page, "sign_order")).to_have_class(re.compile(r"\bstate-active\b"))
    expect(page.locator("table.steps")).to_contain_text("Send SMS code")
    diagram_shot(p, "awaiting signature")

    page.fill("input[name=code]", sms_code(page))
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(status(page)).to_have_text("Signed", timeout=SLOW)
    expect(page.locator(".flash")).to_have_text("The order is signed.")
    expect(page.get_by_role("button", name="Sign", exact=True)).to_have_count(0)
    expect(element(page, "signed")).to_have_class(re.compile(r"\bstate-completed\b"))
    p.shot("signed")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    row = page.locator("table.orders tbody tr", has_text="DDU-501/2026")
    expect(row).to_contain_text("Signed")
    expect(row).to_contain_text("Kuznetsova Olga Igorevna")
    expect(row).to_contain_text("12,500,000.50")
    p.shot("orders list")


def test_a_wrong_code_shows_the_attempts_left_and_a_new_code_can_be_sent(pages, system, monkeypatch):
    order_id = create(system, passport=("4603", "100002"))
    p = pages()
    page = p.sign_in("manager-1")
    page.goto(f"/orders/{order_id}")
    expect(status(page)).to_have_text("Awaiting signature", timeout=SLOW)
    right = sms_code(page)
    page.fill("input[name=code]", "000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Sign", exact=True).click()
    left = system.settings.code_max_attempts - 1
    expect(page.locator("#code-error")).to_have_text(f"Wrong code. Attempts left: {left}.")
    expect(page.locator("input[name=code]")).to_have_attribute("aria-invalid", "true")
    p.shot("wrong code")

    # a new code too soon after the last one: the page says how long to wait
    monkeypatch.setattr(system.signing, "settings", replace(system.signing.settings, resend_interval_s=600))
    page.get_by_role("button", name="Send a new code").click()
    expect(page.locator("#new-code-note")).to_have_text(re.compile(r"A new code can be sent in \d+ s\."))
    p.shot("new code throttled")
    monkeypatch.undo()

    time.sleep(1.1)  # the suite's resend interval (code_resend_s=1) has passed
    page.get_by_role("button", name="Send a new code").click()
    expect(page.get_by_role("status").filter(has_text="A new code is being sent")).to_be_visible()
    expect(page.locator(".sms-text")).to_have_count(2, timeout=SLOW)           # arrives live
    page.fill("input[name=code]", sms_code(page))  # the newest code
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(status(page)).to_have_text("Signed", timeout=SLOW)
    p.shot("signed with the new code")


def test_a_manager_cancels_an_order_with_a_reason(pages, system):
    order_id = create(system, passport=("4603", "100003"))
    p = pages()
    page = p.sign_in("manager-1")
    page.goto(f"/orders/{order_id}")
    expect(status(page)).to_have_text("Awaiting signature", timeout=SLOW)
    page.locator("summary", has_text="Cancel order").click()
    page.get_by_role("button", name="Cancel order", exact=True).click()   # no reason given
    expect(page.locator("#reason-error")).to_contain_text("Write why the order is cancelled")
    p.shot("cancel without a reason")

    page.fill("textarea[name=reason]", "The buyer changed their mind")
    page.get_by_role("button", name="Cancel order", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("The cancel is accepted")
    expect(status(page)).to_have_text("Cancelled", timeout=SLOW)
    history = page.locator("table.history")
    expect(history).to_contain_text("Cancel requested")
    expect(history).to_contain_text("The buyer changed their mind")
    expect(page.get_by_role("button", name="Cancel order", exact=True)).to_have_count(0)
    expect(element(page, "send_code")).to_have_class(re.compile(r"\bstate-compensated\b"))
    p.shot("cancelled")


def test_a_failing_step_rolls_back_and_the_diagram_numbers_the_undone_steps(pages, system):
    system.bank.set_fault("orders.create_depositor_order", -1)
    try:
        order_id = create(system, passport=("4603", "100004"))
        p = pages()
        page = p.sign_in("manager-1")
        page.goto(f"/orders/{order_id}")
        expect(status(page)).to_have_text("Rolled back", timeout=SLOW)
    finally:
        system.bank.reset()
    expect(element(page, "create_depositor_order")).to_have_class(re.compile(r"\bstate-failed\b"))
    # newest first; the failed step itself first: its call timed out, which may come after the
    # effect, so it is undone too (RELIABILITY.md)
    undone = ["create_depositor_order", "bind_account", "reserve_account", "create_client"]
    for number, step in enumerate(undone, start=1):
        if number > 1:
            expect(element(page, step)).to_have_class(re.compile(r"\bstate-compensated\b"))
        badge = page.locator(f'.djs-overlays[data-container-id="{step}"] .diagram-badge')
        expect(badge).to_have_text(str(number))
    expect(page.locator(".undone li")).to_have_text(
        ["Create depositor order", "Bind to developer's account", "Reserve escrow account", "Create client"])
    expect(element(page, "compliance_check")).to_have_class(re.compile(r"\bstate-completed\b"))
    expect(page.locator("table.steps")).to_contain_text("failed")
    diagram_shot(p, "rolled back")


def test_manager_2_sees_none_of_manager_1s_orders(pages, system):
    order_id = create(system, passport=("4603", "100005"), agreement={"number": "DDU-M1-ONLY", "date": "2026-11-01"})
    p = pages()
    page = p.sign_in("manager-2")
    expect(page.locator("main")).not_to_contain_text("DDU-M1-ONLY")
    page.fill("input[name=q]", "DDU-M1-ONLY")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("No orders match.")).to_be_visible()
    p.shot("manager 2 searches for manager 1's order")
    response = page.request.get(f"/orders/{order_id}")
    assert response.status == 404 and "DDU-M1-ONLY" not in response.text()
    assert page.request.get(f"/orders/{order_id}/live").status == 404

    back_office = pages()
    office = sign_in_to(back_office, "backoffice", "/orders?q=DDU-M1-ONLY")
    expect(office.locator("table.orders")).to_contain_text("DDU-M1-ONLY")   # the bank sees all
    office.goto(f"/orders/{order_id}")
    expect(office.get_by_role("button", name="Sign", exact=True)).to_have_count(0)
    back_office.shot("the back office reads manager 1's order")


def test_the_order_pages_in_russian(pages, system):
    order_id = create(system, passport=("4603", "100006"), amount=1_250_000_050)
    p = pages()
    page = p.sign_in("manager-1")
    page.get_by_role("link", name="RU").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Заявки")
    p.shot("orders list in Russian")
    page.goto(f"/orders/{order_id}")
    expect(status(page)).to_have_text("Ожидает подписи", timeout=SLOW)
    expect(page.locator(".facts")).to_contain_text("12\u00a0500\u00a0000,50\u00a0₽")
    expect(page.get_by_role("button", name="Подписать", exact=True)).to_be_visible()
    expect(page.locator("table.steps")).to_contain_text("Отправка SMS-кода")
    p.shot("order page in Russian")
    page.goto("/orders/new")
    page.get_by_role("button", name="Создать заявку").click()
    expect(page.locator("#f-depositor-last_name-error")).to_have_text("Обязательное поле.")
    p.shot("empty form in Russian")


@pytest.mark.parametrize("path", ["/orders", "/orders/new", "order"])
def test_the_pages_fit_a_narrow_screen(pages, system, path):
    order_id = create(system, passport=("4603", "100007")) if path == "order" else None
    p = pages(width=390, height=844)
    page = p.sign_in("manager-1")
    page.goto(f"/orders/{order_id}" if order_id else path)
    if order_id:
        expect(status(page)).to_have_text("Awaiting signature", timeout=SLOW)
        expect(element(page, "sign_order")).to_have_class(re.compile(r"\bstate-active\b"))
    width = page.evaluate("document.documentElement.scrollWidth")
    p.shot(f"narrow {path}")
    assert width <= 390, f"{path} is {width}px wide on a 390px screen"
