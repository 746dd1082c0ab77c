"""An expired passport (Russian passports are replaced at 20 and 45) is refused at create with a
field message, and nothing is stored; the grace period is a setting."""
from datetime import date, timedelta

import pytest

from app.domain.validation import _add_years
from tests.e2e.harness import headers, order_body

TODAY = date.today()


def body_with(birth: date, issued: date) -> dict:
    body = order_body()
    body["depositor"]["birth_date"] = birth.isoformat()
    body["depositor"]["passport"]["issued_on"] = issued.isoformat()
    return body


def orders_count(api) -> str:
    return api.get("/api/v1/orders", page_size=1).headers["X-Pagination"]


@pytest.mark.parametrize("age", [20, 45])
def test_a_passport_not_replaced_at_20_or_45_is_refused_at_create(api, age):
    birth = _add_years(TODAY, -(age + 1))        # turned `age` a year ago
    issued = _add_years(birth, age) - timedelta(days=30)  # issued before that birthday
    before = orders_count(api)
    response = api.client.post("/api/v1/orders", json=body_with(birth, issued), headers=headers())
    assert response.status_code == 422, response.get_json()
    message = response.get_json()["errors"]["json"]["depositor"]["passport"]["issued_on"]
    assert message == [f"passport expired: issued before the holder turned {age}, it had to be "
                       f"replaced at age {age}"]
    assert orders_count(api) == before


@pytest.mark.parametrize("age", [20, 45])
def test_the_birthday_itself_is_the_first_day_of_expiry(api, age):
    birth = _add_years(TODAY, -age)              # turns `age` today
    issued = _add_years(birth, age) - timedelta(days=400)
    response = api.client.post("/api/v1/orders", json=body_with(birth, issued), headers=headers())
    assert response.status_code == 422
    yesterday_birth = birth + timedelta(days=1)  # turns `age` tomorrow: still valid
    response = api.client.post("/api/v1/orders", json=body_with(yesterday_birth, issued), headers=headers())
    assert response.status_code == 202, response.get_json()


def test_the_replacement_passport_is_valid(api):
    birth = _add_years(TODAY, -30)
    response = api.client.post("/api/v1/orders", json=body_with(birth, _add_years(birth, 20)),
                               headers=headers())
    assert response.status_code == 202, response.get_json()


def test_the_grace_period_is_a_setting(app, api):
    settings = app.config["ESCROW"]
    birth = _add_years(TODAY, -20) - timedelta(days=10)  # turned 20 ten days ago
    body = body_with(birth, _add_years(birth, 19))
    app.config["ESCROW"] = settings.with_overrides(passport_grace_days=90)
    try:
        assert api.client.post("/api/v1/orders", json=body, headers=headers()).status_code == 202
    finally:
        app.config["ESCROW"] = settings
    assert api.client.post("/api/v1/orders", json=body, headers=headers()).status_code == 422
