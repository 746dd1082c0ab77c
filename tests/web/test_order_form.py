"""The manager's pages without a browser: the order form's conversion to the API's request
(amount, nesting, errors at their inputs), idempotent submits, the list's scoping, search and
paging, the live fragment, and the diagram's states."""
import re
import time

import pytest

from app.api.factory import create_app
from app.services import order_diagram
from app.domain.caller import Caller
from app.services.errors import NotFound
from app.services.orders import cancel_refusal, may_cancel
from app.services.signature import signing_refusal
from app.store.documents import SignInFailures
from app.web import order_form
from app.web import orders as order_pages
from tests.e2e.harness import eventually
from tests.web.test_manager_pages import create
from tests.web.test_sign_in import csrf, sign_in

FORM = {"project_id": "p-dev1-sunrise", "agreement.number": "DDU-FORM-1", "agreement.date": "2026-10-01",
        "amount": "7 500 000,25", "escrow_until": "2030-06-30", "depositor.last_name": "Sokolova",
        "depositor.first_name": "Irina", "depositor.middle_name": "", "depositor.birth_date": "1990-01-02",
        "depositor.phone": "+79160000001", "depositor.passport.series": "4604",
        "depositor.passport.number": "200001", "depositor.passport.issued_on": "2010-02-03",
        "depositor.passport.issuer_code": "770-002", "depositor.inn": "500100732259",
        "depositor.snils": ""}


@pytest.fixture
def client(system):
    SignInFailures.objects.delete()
    return create_app(system).test_client()


@pytest.fixture
def manager(client):
    sign_in(client, "manager-1")
    return client


def awaiting_signature(system, **kwargs) -> str:
    order_id = create(system, **kwargs)
    eventually(lambda: system.repo.get(order_id)["status"] == "AWAITING_SIGNATURE", timeout=20)
    return order_id


def post_form(client, key="key-1", headers=None, **changes):
    data = {**FORM, **changes, "csrf_token": csrf(client, "/orders/new"), "idempotency_key": key}
    return client.post("/orders/new", data=data, headers=headers or {})


def error_at(html: str, name: str) -> str | None:
    """The error shown next to the input `name` (None when there is none)."""
    input_id = "f-" + name.replace(".", "-")
    found = re.search(rf'<small class="field-error" id="{re.escape(input_id)}-error">([^<]*)</small>', html)
    return found.group(1).strip() if found else None


# --- the amount as people type it -------------------------------------------------------------

@pytest.mark.parametrize("typed, kopecks", [
    ("12 500 000,50", 1_250_000_050), ("12500000.5", 1_250_000_050), ("12500000", 1_250_000_000),
    ("12\u00a0500\u00a0000,50 ₽", 1_250_000_050), ("12,500,000.50", 1_250_000_050),
    ("1.234.567,89", 123_456_789), ("12 500", 1_250_000), ("0,07", 7), ("99 руб.", 9_900),
])
def test_an_amount_typed_in_roubles_becomes_integer_kopecks(typed, kopecks):
    assert order_form.parse_amount(typed) == kopecks


@pytest.mark.parametrize("typed", ["12,500", "12.500", "12,5,0", "12,500.50.1", "-5", "1e6", "12,505", "ten", "12,345,67"])
def test_an_ambiguous_or_malformed_amount_is_refused(typed):
    with pytest.raises(order_form.AmountError):
        order_form.parse_amount(typed)


def test_inputs_named_by_json_path_unflatten_into_the_api_body_and_errors_flatten_back():
    tree = order_form.unflatten({"amount": 5, "depositor.passport.series": "4510", "depositor.inn": ""})
    assert tree == {"amount": 5, "depositor": {"passport": {"series": "4510"}}}  # empty = not given
    errors = {"depositor": {"inn": ["bad"], "passport": {"series": ["short"]}, "_schema": ["whole"]},
              "agreement": ["Missing data for required field."]}
    assert order_form.flatten_errors(errors) == {
        "depositor.inn": ["bad"], "depositor.passport.series": ["short"], "_form": ["whole", "Missing data for required field."]}


# --- the form over HTTP -----------------------------------------------------------------------

def test_a_wrong_inn_is_shown_at_the_inn_input_and_every_value_is_kept(manager):
    response = post_form(manager, **{"depositor.inn": "500100732250"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error_at(html, "depositor.inn") == "The INN check digits do not match: check the number."
    assert re.search(r'id="f-depositor-inn" name="depositor.inn"[^>]*value="500100732250"[^>]*aria-invalid="true"', html)
    assert 'value="Sokolova"' in html and 'value="7 500 000,25"' in html
    assert error_at(html, "depositor.last_name") is None
    assert '<a href="#f-depositor-inn">INN</a>' in html            # the summary links to the input


def test_an_ambiguous_amount_and_missing_inputs_are_reported_at_their_inputs(manager):
    html = post_form(manager, amount="12,500", **{"depositor.last_name": "", "agreement.date": ""}).get_data(as_text=True)
    assert error_at(html, "amount").startswith("Is it thousands or kopecks?")
    assert error_at(html, "depositor.last_name") == "Required."
    assert error_at(html, "agreement.date") == "Required."
    assert 'value="12,500"' in html


def test_field_messages_speak_russian(manager):
    html = post_form(manager, headers={"Accept-Language": "ru"}, **{"depositor.inn": "500100732250",
                                                                   "depositor.phone": "+7916"}).get_data(as_text=True)
    assert error_at(html, "depositor.inn") == "Контрольные цифры ИНН не сходятся: проверьте номер."
    assert error_at(html, "depositor.phone") == "Запишите телефон как +7 и 10 цифр."


def test_a_double_submit_creates_one_order(manager, system):
    first = post_form(manager, key="double-1", **{"agreement.number": "DDU-DOUBLE"})
    second = post_form(manager, key="double-1", **{"agreement.number": "DDU-DOUBLE"})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert system.repo.count({"data.agreement.number": "DDU-DOUBLE"}) == 1
    order = system.repo.find({"data.agreement.number": "DDU-DOUBLE"})[0]
    assert order["data"]["amount"] == 750_000_025 and "middle_name" in order["data"]["depositor"]


def test_a_used_form_sent_again_with_other_values_gets_a_new_key_not_a_second_order(manager, system):
    post_form(manager, key="reuse-1", **{"agreement.number": "DDU-REUSE"})
    response = post_form(manager, key="reuse-1", **{"agreement.number": "DDU-REUSE-2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "This form has already created an order." in html
    assert 'name="idempotency_key" value="reuse-1"' not in html
    assert system.repo.count({"data.agreement.number": "DDU-REUSE-2"}) == 0


# --- the list ---------------------------------------------------------------------------------

def test_the_list_is_company_scoped_searchable_filterable_and_paged(client, system, monkeypatch):
    mine = create(system, passport=("4604", "300001"), agreement={"number": "DDU-LIST-A", "date": "2026-10-01"})
    time.sleep(0.01)  # a later creation time (stored to the millisecond)
    create(system, passport=("4604", "300002"), agreement={"number": "DDU-LIST-B", "date": "2026-10-01"})
    theirs = create(system, "manager-2", passport=("4604", "300003"), project_id="p-dev2-riverside",
                    agreement={"number": "DDU-LIST-C", "date": "2026-10-01"})
    sign_in(client, "manager-1")
    html = client.get("/orders?q=DDU-LIST").get_data(as_text=True)
    assert "DDU-LIST-A" in html and "DDU-LIST-B" in html and "DDU-LIST-C" not in html
    assert html.index("DDU-LIST-B") < html.index("DDU-LIST-A")                      # newest first
    assert "DDU-LIST-A" in client.get("/orders?q=300001").get_data(as_text=True)     # passport number
    assert "DDU-LIST-B" not in client.get("/orders?q=300001").get_data(as_text=True)
    assert client.get(f"/orders/{theirs}").status_code == 404
    assert client.get(f"/orders/{mine}").status_code == 200
    none = client.get("/orders?q=DDU-LIST&status=SIGNED").get_data(as_text=True)
    assert "DDU-LIST-A" not in none and "No orders match." in none
    refused = client.get("/orders?status=NONSENSE")
    assert refused.status_code == 200 and "That filter is not valid" in refused.get_data(as_text=True)

    monkeypatch.setattr(order_pages, "PAGE_SIZE", 1)
    first, second = (client.get(f"/orders?q=DDU-LIST&page={n}").get_data(as_text=True) for n in (1, 2))
    assert "DDU-LIST-B" in first and "DDU-LIST-A" not in first and "page 1 of 2" in first
    assert "DDU-LIST-A" in second and "DDU-LIST-B" not in second and 'rel="prev"' in second


def test_the_list_shows_amounts_and_statuses_in_the_readers_language(client, system):
    create(system, passport=("4604", "300004"), amount=1_250_000_050, agreement={"number": "DDU-RU", "date": "2026-10-01"})
    sign_in(client, "manager-1")
    html = client.get("/orders?q=DDU-RU", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "12\u00a0500\u00a0000,50\u00a0₽" in html and "1250000050" not in html
    assert re.search(r'class="status status-[a-z-]+">(Принята|В обработке|Ожидает подписи)<', html)


# --- the live fragment ------------------------------------------------------------------------

def test_the_live_fragment_is_204_until_the_order_changes_and_stops_polling_when_final(manager, system):
    order_id = awaiting_signature(system, passport=("4604", "400001"))
    live = manager.get(f"/orders/{order_id}/live")
    stamp = re.search(r'data-stamp="([^"]+)"', live.get_data(as_text=True)).group(1)
    assert live.status_code == 200 and 'hx-trigger="every' in live.get_data(as_text=True)
    assert manager.get(f"/orders/{order_id}/live?seen={stamp}").status_code == 204
    manager.post(f"/orders/{order_id}/cancel", data={"reason": "test", "csrf_token": csrf(manager, "/orders")})
    changed = manager.get(f"/orders/{order_id}/live?seen={stamp}")
    assert changed.status_code == 200 and "Cancel requested" in changed.get_data(as_text=True)
    eventually(lambda: system.repo.get(order_id)["status"] == "CANCELLED", timeout=20)
    final = manager.get(f"/orders/{order_id}/live").get_data(as_text=True)
    assert "hx-trigger" not in final and "Cancelled" in final


def test_a_code_that_is_not_six_digits_is_explained_at_the_code_input(manager, system):
    order_id = awaiting_signature(system, passport=("4604", "400002"))
    response = manager.post(f"/orders/{order_id}/sign", data={"code": "12ab", "csrf_token": csrf(manager, "/orders")})
    assert response.status_code == 302
    html = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="code-error"[^>]*>The code is 6 digits', html)
    assert "The code is 6 digits" not in manager.get(f"/orders/{order_id}").get_data(as_text=True)  # said once


# --- what the order page offers, and the diagram ----------------------------------------------

MANAGER = Caller("u-m", "M", "manager", "dev-1")
ANALYST = Caller("u-a", "A", "analyst", None)


def test_actions_follow_the_same_checks_as_the_use_cases():
    awaiting = {"status": "AWAITING_SIGNATURE", "cancel_requested": {}, "signature_accepted": None}
    assert signing_refusal(MANAGER, awaiting) is None and may_cancel(MANAGER, awaiting)
    assert signing_refusal(ANALYST, awaiting) is not None and not may_cancel(ANALYST, awaiting)
    cancelling = {**awaiting, "cancel_requested": {"reason": "x"}}
    assert signing_refusal(MANAGER, cancelling) is not None and not may_cancel(MANAGER, cancelling)
    assert cancel_refusal(MANAGER, cancelling) is None          # a repeated cancel is no refusal
    signed = {**awaiting, "signature_accepted": {"at": "now"}}
    assert cancel_refusal(MANAGER, signed) is not None
    assert signing_refusal(MANAGER, {**awaiting, "status": "SIGNED"}) is not None


def test_diagram_states_take_the_step_records_over_the_engine_and_number_the_undoing():
    order = {"steps": [{"name": "reserve", "state": "compensated"}, {"name": "bind", "state": "compensating"},
                       {"name": "notify", "state": "failed"}, {"name": "create", "state": "compensated"}]}
    engine = {"start": "completed", "reserve": "completed", "notify": "error", "gate": "cancelled",
              "release": "completed"}
    history = [{"action": "step.compensated", "detail": {"step": "create"}},
               {"action": "step.attempt_failed", "detail": {"step": "notify"}},
               {"action": "step.compensated", "detail": {"step": "reserve"}}]
    view = order_diagram.states_of(order, engine, history)
    assert view["states"] == {"start": "completed", "reserve": "compensated", "notify": "failed",
                              "release": "completed", "bind": "compensating", "create": "compensated"}
    assert view["undone"] == ["create", "reserve", "bind"]   # as undone, the one in progress last


def test_the_diagram_is_the_order_s_model_version_and_its_engine_states(manager, system):
    order_id = awaiting_signature(system, passport=("4604", "400003"))
    files = order_diagram.model_files(system, MANAGER, order_id)
    assert (files["name"], files["version"]) == (system.repo.get(order_id)["model"]["name"],
                                                 system.repo.get(order_id)["model"]["version"])
    assert 'id="order_creation"' in files["files"][files["main_file"]]
    states = order_diagram.element_states(system, MANAGER, order_id)["states"]
    assert states["send_code"] == "completed" and states["sign_order"] == "active"
    with pytest.raises(NotFound):  # another company's manager
        order_diagram.model_files(system, Caller("u-2", "B", "manager", "dev-2"), order_id)
    html = manager.get(f"/orders/{order_id}").get_data(as_text=True)
    assert '"sign_order": "active"' in html and 'id="diagram-xml"' in html


def test_a_sign_that_comes_too_late_is_explained_in_the_readers_terms(manager, system):
    order_id = awaiting_signature(system, passport=("4604", "400004"))
    token = csrf(manager, "/orders")
    manager.post(f"/orders/{order_id}/cancel", data={"reason": "buyer withdrew", "csrf_token": token})
    response = manager.post(f"/orders/{order_id}/sign", data={"code": "123456", "csrf_token": token})
    html = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"That is not possible any more: the order is now \u201c(Awaiting signature|Cancelling|Cancelled)\u201d", html)
    assert 'name="code"' not in html  # no sign form while the cancel runs


def test_a_live_update_after_the_session_ended_sends_the_page_to_sign_in(client, system):
    order_id = create(system, passport=("4604", "400005"))
    response = client.get(f"/orders/{order_id}/live", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login"
    assert client.get(f"/orders/{order_id}").headers["Location"].startswith("/login")
