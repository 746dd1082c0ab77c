"""User-task forms: every file parses, validation messages per field, dynamic choices, HTML."""
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from app.forms import FORM_LEVEL, FormError, check_all, check_form, list_forms, load_form, parse_form

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"

CANDIDATES = [
    {"client_id": "CL-1", "last_name": "Иванов", "first_name": "Иван", "middle_name": "Иванович",
     "birth_date": "1980-05-17", "passport": {"series": "4510", "number": "123456"}},
    {"client_id": "CL-2", "last_name": "<b>Ivanov</b>", "first_name": "Ivan", "middle_name": None,
     "birth_date": "1980-05-17", "passport": {"series": "4510", "number": "123457"}},
]
TASK = {"candidates": CANDIDATES}


@pytest.fixture
def backoffice():
    return load_form(FORMS, "backoffice_resolution.json")


@pytest.fixture
def sign():
    return load_form(FORMS, "sign_order")


# ---- files ----
def test_every_form_file_parses_and_is_a_valid_schema():
    names = list_forms(FORMS)
    assert {"sign_order.json", "backoffice_resolution.json"} <= set(names)
    assert check_all(FORMS) == {}
    for name in names:
        document = json.loads((FORMS / name).read_text(encoding="utf-8"))
        assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(document)
        form = load_form(FORMS, name)
        assert "ui" not in form.schema
        for field in form.ui.get("order", []):
            assert field in form.schema["properties"]
            assert form.field_ui(field).get("label", {}).keys() >= {"en", "ru"}


def test_forms_referenced_by_the_models_exist():
    for model in (ROOT / "bpmn").glob("*.bpmn"):
        text = model.read_text(encoding="utf-8")
        for name in ("sign_order.json", "backoffice_resolution.json"):
            if f'value="{name}"' in text:
                check_form(FORMS, name)


def test_missing_and_path_like_names_are_refused():
    with pytest.raises(FormError, match="not found"):
        check_form(FORMS, "no_such_form.json")
    for bad in ("../requirements.txt", "templates/macros.html", "a/b", ""):
        with pytest.raises(FormError):
            load_form(FORMS, bad)


def test_loading_is_cached(sign):
    assert load_form(FORMS, "sign_order.json") is sign


@pytest.mark.parametrize("text, problem", [
    ("{", "not valid JSON"),
    ('{"type": "object", "properties": {"a": {"type": "nonsense"}}}', "not a valid JSON Schema"),
    ('{"type": "object", "properties": {"a": {}}, "ui": {"order": ["b"]}}', "unknown field 'b'"),
    ('{"type": "object", "properties": {"a": {}}, "ui": {"fields": {"a": {"widget": "slider"}}}}', "unknown widget"),
    ('{"type": "object", "properties": {"a": {}}, "ui": {"fields": {"a": {"widget": "radio"}}}}', "needs an enum"),
])
def test_broken_forms_are_reported_with_their_name(text, problem):
    with pytest.raises(FormError, match=problem) as err:
        parse_form("broken.json", text)
    assert "broken.json" in str(err.value)


# ---- sign_order ----
@pytest.mark.parametrize("data, errors", [
    ({"code": "123456"}, {}),
    ({}, {"code": ["Enter the code from the SMS."]}),
    ({"code": "12345"}, {"code": ["Enter the 6 digits from the SMS."]}),
    ({"code": "1234567"}, {"code": ["Enter the 6 digits from the SMS."]}),
    ({"code": "12a456"}, {"code": ["Enter the 6 digits from the SMS."]}),
    ({"code": 123456}, {"code": ["Invalid value."]}),
    ({"code": "123456", "extra": 1}, {"extra": ["Unknown field."]}),
    ([], {FORM_LEVEL: ["Invalid value."]}),
])
def test_sign_order_messages(sign, data, errors):
    assert sign.validate(data) == errors


def test_messages_in_russian(sign):
    assert sign.validate({"code": "1"}, lang="ru") == {"code": ["Введите 6 цифр из SMS."]}


# ---- backoffice_resolution ----
@pytest.mark.parametrize("data, errors", [
    ({"decision": "use_existing", "client_id": "CL-1"}, {}),
    ({"decision": "merge", "client_id": "CL-2"}, {}),
    ({"decision": "reject", "reason": "Not the same person"}, {}),
    ({}, {"decision": ["Choose a decision."]}),
    ({"decision": "maybe"}, {"decision": ["Choose one of the decisions."]}),
    ({"decision": "use_existing"}, {"client_id": ["Choose the client record."]}),
    ({"decision": "merge"}, {"client_id": ["Choose the client record."]}),
    ({"decision": "reject"}, {"reason": ["Give the reason for rejection."]}),
    ({"decision": "reject", "reason": "no"}, {"reason": ["At least 3 characters."]}),
    ({"decision": "reject", "reason": "    "}, {"reason": ["The reason cannot be blank."]}),
])
def test_backoffice_messages_per_field(backoffice, data, errors):
    assert backoffice.validate(data, TASK) == errors


def test_chosen_client_must_be_one_of_the_candidates(backoffice):
    data = {"decision": "use_existing", "client_id": "CL-999"}
    assert backoffice.validate(data, TASK) == {"client_id": ["Choose one of the offered records."]}
    assert backoffice.validate(data, TASK, lang="ru") == {"client_id": ["Выберите одну из предложенных записей."]}
    # no candidates in the task data: nothing can be chosen
    assert backoffice.validate(data, {"candidates": []}) == {"client_id": ["There is nothing to choose from."]}
    # without task data the dynamic check is not possible and is skipped
    assert backoffice.validate(data) == {}


def test_choices_come_from_the_task_data(backoffice):
    choices = backoffice.choices("client_id", TASK)
    assert [c["value"] for c in choices] == ["CL-1", "CL-2"]
    assert choices[0]["label"] == "Иванов Иван Иванович, 1980-05-17, passport 4510 123456 (CL-1)"
    assert choices[1]["label"] == "<b>Ivanov</b> Ivan, 1980-05-17, passport 4510 123457 (CL-2)"
    assert [c["value"] for c in backoffice.choices("decision", lang="ru")] == ["use_existing", "merge", "reject"]


def test_label_templates_cannot_reach_attributes(backoffice):
    from app.forms.form import fill
    assert fill("{client_id.__class__} {x}", {"client_id": "CL-1"}) == ""


# ---- rendering ----
def test_render_shows_labels_choices_values_and_errors(backoffice):
    data = {"decision": "merge", "client_id": "CL-999"}
    html = backoffice.render(TASK, values=data, errors=backoffice.validate(data, TASK), lang="en")
    assert "Decision" in html and "Client record" in html and "Reason for rejection" in html
    assert 'value="merge" checked' in html
    assert 'value="CL-1"' in html and 'value="CL-2"' in html
    assert "Choose one of the offered records." in html
    assert 'aria-invalid="true"' in html
    assert html.index('data-field="decision"') < html.index('data-field="client_id"') < html.index('data-field="reason"')
    assert "<textarea" in html


def test_render_in_russian(backoffice, sign):
    assert "Решение" in backoffice.render(TASK, lang="ru")
    html = sign.render({}, lang="ru")
    assert "Код из SMS" in html and 'inputmode="numeric"' in html and "required" in html


def test_render_escapes_everything(backoffice, sign):
    html = backoffice.render(TASK, values={"reason": "</textarea><script>alert(1)</script>"},
                             errors={"reason": ["<img src=x onerror=alert(1)>"]})
    assert "<script>" not in html and "<img" not in html and "<b>Ivanov</b>" not in html
    assert "&lt;b&gt;Ivanov&lt;/b&gt;" in html
    assert "&lt;/textarea&gt;&lt;script&gt;" in html
    html = sign.render({}, values={"code": '"><script>x</script>'})
    assert "<script>" not in html and 'value="&#34;&gt;&lt;script&gt;' in html


def test_form_level_errors_are_shown(sign):
    html = sign.render({}, errors={FORM_LEVEL: ["Send an object"], "extra": ["Unknown field."]})
    assert "Send an object" in html and "Unknown field." in html


# ---- OpenAPI ----
def test_openapi_schema(backoffice):
    schema = backoffice.openapi_schema()
    assert "ui" not in schema and "$schema" not in schema and "$id" not in schema
    assert schema["properties"]["decision"]["enum"] == ["use_existing", "merge", "reject"]
    assert "allOf" in schema            # OpenAPI 3.1 keeps the conditions
    old = backoffice.openapi_schema("3.0.3")
    assert "allOf" not in old and "if" not in json.dumps(old)
    assert old["required"] == ["decision"]
    # the copy is independent of the form
    schema["properties"].clear()
    assert backoffice.schema["properties"]


# ---- the page's form: a whole <form>, and what an HTML post turns into ----
def test_with_an_action_the_form_posts_with_its_hidden_inputs_and_a_complete_button(backoffice):
    html = backoffice.render(TASK, lang="en", action="/tasks/t-1", hidden={"csrf_token": 'tok"en'})
    assert html.startswith('<form method="post" action="/tasks/t-1" novalidate')
    assert '<input type="hidden" name="csrf_token" value="tok&#34;en">' in html
    assert html.rstrip().endswith('<button type="submit">Complete</button>\n</form>')
    russian = backoffice.render(TASK, lang="ru", action="/tasks/t-1")
    assert '<button type="submit">Завершить</button>' in russian
    assert "паспорт 4510 123456 (CL-1)" in russian
    assert "<form" not in backoffice.render(TASK, lang="en")       # the API's fragment: fields only


def test_the_error_summary_links_to_each_field_in_error(backoffice):
    data = {"decision": "use_existing"}
    html = backoffice.render(TASK, data, backoffice.validate(data, TASK), "en", action="/tasks/t-1")
    summary = html[html.index('class="form-errors"'):html.index("</div>")]
    assert 'role="alert"' in summary and "Please correct the fields marked below." in summary
    assert '<a href="#field-client_id-1">Client record: Choose the client record.</a>' in summary
    assert 'id="field-client_id-1"' in html                       # the link's target exists
    assert "decision" not in summary                               # only fields in error


def test_an_html_post_becomes_the_json_the_schema_validates(backoffice):
    posted = {"decision": "reject", "client_id": "", "reason": "  two people ", "csrf_token": "x",
              "extra": "dropped"}
    assert backoffice.from_html(posted) == {"decision": "reject", "reason": "  two people "}
    assert backoffice.from_html({"decision": " "}) == {}
    typed = parse_form("typed.json", json.dumps({"type": "object", "properties": {
        "count": {"type": "integer"}, "share": {"type": "number"}, "ok": {"type": "boolean"}}}))
    assert typed.from_html({"count": "3", "share": "0.5", "ok": "on"}) == {"count": 3, "share": 0.5, "ok": True}
    assert typed.from_html({"count": "three"}) == {"count": "three"}   # left for validate to refuse
    assert typed.validate(typed.from_html({"count": "three"})) == {"count": ["Invalid value."]}
