"""The OpenAPI document tells a client what the server sends and checks: every time is one UTC
field, the domain formats are the rules' own patterns, dev endpoints and headers documented; the
Swagger UI that shows it loads only files the application serves."""
import json
import re
from html.parser import HTMLParser

import jsonschema
import marshmallow
from hypothesis import given, settings, strategies as st
from marshmallow import class_registry

from app.api.schemas import UtcDateTime
from app.domain import validation as rules
from tests.api.conftest import operations


def all_schema_classes():
    import app.api.factory  # noqa: F401  (imports every blueprint, so every schema registers)
    return {cls for entries in class_registry._registry.values() for cls in entries
            if cls.__module__.startswith("app.")}


def test_every_time_field_is_the_utc_field(app):
    plain = [f"{cls.__module__}.{cls.__name__}.{name}" for cls in all_schema_classes()
             for name, field in cls._declared_fields.items()
             if isinstance(field, marshmallow.fields.DateTime) and not isinstance(field, UtcDateTime)]
    assert not plain, f"use app.api.schemas.UtcDateTime: {plain}"
    assert len(all_schema_classes()) > 20


def test_the_utc_field_sends_an_offset_for_naive_and_aware_times():
    from datetime import datetime, timedelta, timezone
    field = UtcDateTime()
    assert field.serialize("t", {"t": datetime(2026, 1, 2, 3, 4, 5)}) == "2026-01-02T03:04:05+00:00"
    moscow = datetime(2026, 1, 2, 6, 4, 5, tzinfo=timezone(timedelta(hours=3)))
    assert field.serialize("t", {"t": moscow}) == "2026-01-02T03:04:05+00:00"


def test_domain_formats_are_published(document):
    schemas = document["components"]["schemas"]
    depositor, passport = schemas["Depositor"]["properties"], schemas["Passport"]["properties"]
    assert depositor["inn"]["pattern"] == rules.INN_PATTERN
    assert depositor["snils"]["pattern"] == rules.SNILS_PATTERN
    assert depositor["phone"]["pattern"] == rules.PHONE_PATTERN
    assert passport["series"]["pattern"] == rules.PASSPORT_SERIES_PATTERN
    assert passport["number"]["pattern"] == rules.PASSPORT_NUMBER_PATTERN
    assert passport["issuer_code"]["pattern"] == rules.ISSUER_CODE_PATTERN
    amount = schemas["OrderCreate"]["properties"]["amount"]
    assert (amount["minimum"], amount["maximum"]) == (1, 50_000_000_000)
    from app.domain.statuses import ALL
    assert set(schemas["OrderSummary"]["properties"]["status"]["enum"]) == set(ALL)
    assert schemas["OrderCreate"]["additionalProperties"] is False


PHONE_TEXT = st.text(alphabet="+79 0()-1\t8", max_size=24) | st.builds(
    lambda digits, seps: "+7" + "".join(s + d for s, d in zip(seps, digits)),
    st.text(alphabet="0123456789", min_size=9, max_size=11), st.lists(st.sampled_from(["", " ", "-", "(", ")", "\t"]),
                                                                     min_size=11, max_size=11))


@settings(max_examples=400, deadline=None, database=None)
@given(value=PHONE_TEXT)
def test_the_phone_pattern_is_the_phone_rule(value):
    """The document's pattern (as JSON Schema reads it) accepts exactly what the server does."""
    published = re.search(rules.PHONE_PATTERN, value) is not None  # JSON Schema: search
    assert published == (rules.phone(value) is None), value


@settings(max_examples=300, deadline=None, database=None)
@given(value=st.text(alphabet="0123456789- a\n٣", max_size=16))
def test_format_patterns_are_the_rules(value):
    for pattern, rule in ((rules.PASSPORT_SERIES_PATTERN, rules.passport_series),
                          (rules.PASSPORT_NUMBER_PATTERN, rules.passport_number),
                          (rules.ISSUER_CODE_PATTERN, rules.issuer_code)):
        assert (re.search(pattern, value) is not None and "\n" not in value) == (rule(value) is None)
    # INN and SNILS: the pattern is the format; check digits come on top
    if rules.inn_person(value) is None:
        assert re.search(rules.INN_PATTERN, value)
    if rules.snils(value) is None:
        assert re.search(rules.SNILS_PATTERN, value)


def test_dev_endpoints_document_their_responses(document):
    dev = [(m, p) for m, p in operations(document) if p.startswith("/api/v1/dev/")]
    assert len(dev) == 4
    for method, path in dev:
        ok = document["paths"][path][method.lower()]["responses"]["200"]
        assert "schema" in ok["content"]["application/json"], (method, path)


def test_every_operation_documents_its_success_and_its_errors(document):
    for method, path in operations(document):
        responses = document["paths"][path][method.lower()]["responses"]
        assert any(code.startswith("2") for code in responses), (method, path)
        assert "default" in responses, (method, path)  # 401/403/404/413... in the error shape


def pagination_schema(document):
    header = document["components"]["headers"]["PAGINATION"]
    return header["content"]["application/json"]["schema"]


def test_x_pagination_is_documented_as_sent(api, document):
    schema = pagination_schema(document)
    for path in ("/api/v1/orders", "/api/v1/tasks"):
        ok = document["paths"][path]["get"]["responses"]["200"]
        assert ok["headers"]["X-Pagination"] == {"$ref": "#/components/headers/PAGINATION"}
        for who in ("m1", "bo", "admin"):
            for page in (1, 2, 50):
                response = api.get(path, who=who, page=page, page_size=1)
                jsonschema.validate(json.loads(response.headers["X-Pagination"]), schema)


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_swagger_ui_loads_only_local_assets(api):
    page = api.client.get("/api/docs")
    assert page.status_code == 200
    parser = Assets()
    parser.feed(page.get_data(as_text=True))
    assert len(parser.urls) >= 3  # the style sheet, the preset and the bundle
    for url in parser.urls:
        assert url.startswith("/static/dist/vendor/swagger-ui/"), url  # same origin, no CDN
        asset = api.client.get(url)
        assert asset.status_code == 200 and len(asset.get_data()) > 1000, url
    assert any(u.endswith(".css") for u in parser.urls) and any(u.endswith(".js") for u in parser.urls)
    assert api.client.get("/api/openapi.json").status_code == 200
