"""The analysts' API (issue 16): validate, simulate on the real engine, inspect a version."""
from pathlib import Path

import pytest

from app.api.model_schemas import (
    ModelRefusalSchema, ModelVersionSchema, SimulationSchema, ValidationSchema,
)
from tests.e2e.harness import headers

ROOT = Path(__file__).resolve().parents[2]
EXPORTS = ROOT / "tests" / "engine" / "fixtures" / "exports"
ORDER_FILES = {p.name: p.read_text() for p in sorted((ROOT / "bpmn").glob("*.bpmn"))}
NEW_CLIENT = {"client_match": "none"}
# the order model's steps with a bank effect, in order, and their compensation handlers
UNDO = {"create_client": "deactivate_client", "reserve_account": "release_account",
        "bind_account": "unbind_account", "create_depositor_order": "cancel_depositor_order",
        "send_code": "revoke_code"}
STEPS = ["compliance_check", "find_client", *UNDO]


def simulate(api, who="analyst", **body):
    response = api.post("/api/v1/simulations", who=who, json={"files": ORDER_FILES, **body})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert SimulationSchema().validate(result) == {}
    return result


def order_run(api, **body):
    return simulate(api, process_id="order_creation", **{"data": NEW_CLIENT, **body})


# --- simulation on the order model -----------------------------------------------------------

def test_happy_path_is_signed(api):
    result = order_run(api)
    assert result["status"] == "completed" and result["end_events"] == ["signed"]
    assert [result["counts"].get(step) for step in STEPS] == [1] * len(STEPS)
    assert result["compensations"] == [] and result["waiting"] == []
    assert result["trace"][0] == {"seq": 1, "element_id": "order_received", "element_type": "startEvent",
                                  "event": "completed"}


@pytest.mark.parametrize("failing", STEPS)
def test_a_failing_step_compensates_what_was_done_newest_first(api, failing):
    result = order_run(api, outcomes={failing: ["fail"]})
    done = [step for step in UNDO if STEPS.index(step) < STEPS.index(failing)]
    assert result["status"] == "completed" and result["end_events"] == ["rolled_back"]
    assert result["compensations"] == [UNDO[step] for step in reversed(done)]
    failed = [t["event"] for t in result["trace"] if t["element_id"] == failing]
    assert failed == ["failed", "cancelled"]


def test_compliance_refusal_rejects_without_compensation(api):
    result = order_run(api, outcomes={"compliance.check_depositor": ["error:compliance_refused"]})
    assert result["end_events"] == ["rejected"] and result["compensations"] == []


def test_a_business_error_the_model_does_not_name_rolls_back(api):
    result = order_run(api, outcomes={"bind_account": ["error:project_closed"]})
    assert result["end_events"] == ["rolled_back"]
    assert result["compensations"] == ["release_account", "deactivate_client"]
    assert result["data"]["bpmn_error"]["message"].startswith("project_closed")


def test_a_failing_rollback_is_an_incident(api):
    result = order_run(api, outcomes={"send_code": ["fail"], "escrow.unbind_from_developer": ["fail"]})
    assert result["status"] == "incident"
    assert result["compensations"] == ["cancel_depositor_order"]
    assert {"element_id": "unbind_account", "element_type": "serviceTask"} in result["waiting"]


@pytest.mark.parametrize("decision, end, extra", [
    ({"decision": "use_existing", "client_id": "CL-2"}, "signed", []),
    ({"decision": "merge", "client_id": "CL-1"}, "signed", ["merge_records"]),
    ({"decision": "reject", "reason": "different person"}, "rejected_by_backoffice", []),
])
def test_back_office_decisions(api, decision, end, extra):
    result = order_run(api, data={"client_match": "many", "candidates": []},
                       user_tasks={"resolve_duplicates": [decision]})
    assert result["status"] == "completed" and result["end_events"][-1] == end
    assert result["counts"]["resolve_duplicates"] == 1
    assert [s for s in extra if s in result["counts"]] == extra
    assert result["data"]["decision"] == decision["decision"]
    assert ("reserve_account" in result["counts"]) == (end == "signed")


@pytest.mark.parametrize("after", ["bind_account", "send_code"])
def test_cancel_after_a_step_compensates_everything_done(api, after):
    result = order_run(api, messages=[{"name": "cancel_order", "payload": {"reason": "changed mind"},
                                       "after": after}])
    done = [step for step in UNDO if STEPS.index(step) <= STEPS.index(after)]
    assert result["status"] == "completed" and result["end_events"] == ["cancelled"]
    assert result["compensations"] == [UNDO[step] for step in reversed(done)]
    assert result["data"]["cancel_request"] == {"reason": "changed mind"}


def test_the_worker_start_data_is_there(api):
    """code_ttl comes from the settings, as for real orders: the code-expiry timer can run."""
    result = order_run(api, user_tasks={"sign_order": []}, max_steps=10_000)
    assert result["data"]["code_ttl"].startswith("PT")


def test_default_process_is_the_one_nothing_calls(api):
    result = simulate(api, data=NEW_CLIENT)
    assert result["end_events"] == ["signed"]


def test_a_bundle_with_two_main_processes_needs_a_process_id(api):
    files = {**ORDER_FILES, "trip.bpmn": (EXPORTS / "bpmnjs_trip.bpmn").read_text()}
    response = api.post("/api/v1/simulations", who="analyst", json={"files": files})
    assert response.status_code == 422
    assert "Process_trip" in response.get_json()["errors"]["json"]["process_id"][0]
    trip = simulate(api, files={"trip.bpmn": files["trip.bpmn"]}, outcomes={"Activity_charge": ["fail"]})
    assert trip["compensations"] == ["Activity_cancel_flight", "Activity_cancel_hotel", "Activity_cancel_reservation"]
    assert any("no handler named 'op'" in p["message"] and p["severity"] == "warning" for p in trip["problems"])


def test_a_model_with_errors_answers_422_with_its_problems(api):
    broken = ORDER_FILES["order_creation.bpmn"].replace('targetRef="reserve_account"', 'targetRef="nowhere"', 1)
    response = api.post("/api/v1/simulations", who="analyst", json={"files": {**ORDER_FILES, "order_creation.bpmn": broken}})
    assert response.status_code == 422
    body = response.get_json()
    assert ModelRefusalSchema().validate(body) == {}
    assert any(p["element_id"] == "flow_client_ready_to_reserve_account" for p in body["problems"])
    assert body["errors"]["json"]["files"]


@pytest.mark.parametrize("body, field", [
    ({"outcomes": {"send_code": ["maybe"]}}, "outcomes"),
    ({"max_steps": 0}, "max_steps"),
    ({"max_steps": 10 ** 9}, "max_steps"),
    ({"messages": [{"after": "send_code"}]}, "messages"),
    ({"user_tasks": {"sign_order": "x"}}, "user_tasks"),
    ({"files": {}}, "files"),
    ({"files": {"a.xml": "<x/>"}}, "files"),
    ({"process_id": "ghost"}, "process_id"),
])
def test_bad_scenarios_are_named(api, body, field):
    response = api.post("/api/v1/simulations", who="analyst", json={"files": ORDER_FILES, **body})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


# --- validation ------------------------------------------------------------------------------

def test_validate_the_order_model(api):
    response = api.post("/api/v1/models/validate", who="analyst", json={"files": ORDER_FILES})
    body = response.get_json()
    assert response.status_code == 200 and ValidationSchema().validate(body) == {}
    assert body == {"valid": True, "problems": [], "processes": ["backoffice_resolution", "order_creation"]}


def test_validate_reports_every_problem(api):
    text = (EXPORTS / "camunda_modeler.bpmn").read_text()
    response = api.post("/api/v1/models/validate", who="admin", json={"files": {"loan.bpmn": text}})
    body = response.get_json()
    assert response.status_code == 200 and body["valid"] is False and body["processes"] == ["loan_approval"]
    errors = {(p["element_id"], p["element_type"]) for p in body["problems"] if p["severity"] == "error"}
    assert errors == {("Activity_score", "serviceTask"), ("Activity_decide", "userTask")}
    score = next(p for p in body["problems"] if p["element_id"] == "Activity_score" and p["severity"] == "error")
    assert score["file"] == "loan.bpmn" and score["line"] == text[:text.index('id="Activity_score"')].count("\n") + 1
    assert any(p["severity"] == "warning" and "camunda:class" in p["message"] for p in body["problems"])


def test_deploy_refuses_with_the_same_problems(api):
    text = (EXPORTS / "camunda_modeler.bpmn").read_text()
    response = api.post("/api/v1/models", who="analyst", json={"name": "loan_approval", "files": {"loan.bpmn": text}})
    body = response.get_json()
    assert response.status_code == 422 and ModelRefusalSchema().validate(body) == {}
    assert len(body["errors"]["json"]["files"]) == 2
    assert any("serviceTask 'Activity_score'" in e for e in body["errors"]["json"]["files"])
    validated = api.post("/api/v1/models/validate", who="analyst", json={"files": {"loan.bpmn": text}}).get_json()
    assert body["problems"] == validated["problems"]


# --- versions --------------------------------------------------------------------------------

def test_a_version_shows_files_elements_author_and_orders(api):
    path = "/api/v1/models/order_creation/versions/1"
    before = api.get(path, who="analyst").get_json()
    assert ModelVersionSchema().validate(before) == {}
    assert set(before["files"]) == set(ORDER_FILES) and before["deployed_by"] == "system"
    elements = {(e["process"], e["id"]): e for e in before["elements"]}
    flow = elements[("order_creation", "flow_reserve_account_to_bind_account")]
    assert (flow["type"], flow["source"], flow["target"]) == ("sequenceFlow", "reserve_account", "bind_account")
    assert elements[("order_creation", "send_code")]["name"] == "Send SMS code"
    assert elements[("order_creation", "compensate_on_cancel")]["scope"] == "cancel_on_request"
    assert "source" not in elements[("order_creation", "send_code")]
    api.create()
    after = api.get(path, who="admin").get_json()
    assert after["orders"]["total"] == before["orders"]["total"] + 1
    assert sum(after["orders"]["by_status"].values()) == after["orders"]["total"]


def test_a_deployed_hand_written_model_keeps_its_synthesised_ids(api):
    text = (EXPORTS / "handwritten_no_ids.bpmn").read_text()
    text = text.replace('id="op"', 'id="escrow.reserve_account"').replace('id="undo"', 'id="escrow.release_account"')
    response = api.post("/api/v1/models", who="analyst", json={"name": "handwritten", "files": {"h.bpmn": text}})
    assert response.status_code == 201, response.get_json()
    version = response.get_json()["version"]
    detail = api.get(f"/api/v1/models/handwritten/versions/{version}", who="analyst").get_json()
    assert 'id="Flow_fork_pay"' in detail["files"]["h.bpmn"]
    flows = {e["id"]: (e["source"], e["target"]) for e in detail["elements"] if e["type"] == "sequenceFlow"}
    assert flows["Flow_fork_pay"] == ("fork", "pay") and len(flows) == 6
    assert detail["deployed_by"] == "u-analyst" and detail["orders"] == {"total": 0, "by_status": {}}
    assert api.get("/api/v1/models/handwritten/versions/99", who="analyst").status_code == 404


# --- access and documentation ----------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("post", "/api/v1/models/validate"), ("post", "/api/v1/simulations"),
    ("get", "/api/v1/models/order_creation/versions/1"),
])
def test_only_analysts_and_admins(api, method, path):
    body = {"files": ORDER_FILES, **({"data": NEW_CLIENT} if path.endswith("simulations") else {})}
    call = getattr(api.client, method)
    assert call(path, json=body).status_code == 401
    assert call(path, json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
    for who in ("m1", "bo"):
        assert call(path, json=body, headers=headers(who)).status_code == 403
    for who in ("analyst", "admin"):
        assert call(path, json=body, headers=headers(who)).status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/models/validate", "/api/v1/simulations"])
@pytest.mark.parametrize("body", ["{", "[]", '{"files": []}', '{"files": {"a.bpmn": 5}}',
                                  '{"files": {"a.bpmn": "<x>"}}', '{"files": {"a.bpmn": ""}}'])
def test_bad_bodies_never_500(api, path, body):
    response = api.client.post(path, data=body, headers={**headers("analyst"), "Content-Type": "application/json"})
    assert 200 <= response.status_code < 500 and response.is_json
    if response.status_code == 200:
        assert response.get_json()["valid"] is False


def test_openapi_documents_the_endpoints(api):
    spec = api.client.get("/api/openapi.json").get_json()
    simulate_op = spec["paths"]["/api/v1/simulations"]["post"]
    assert simulate_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Simulation")
    assert simulate_op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ModelRefusal")
    assert "/api/v1/models/validate" in spec["paths"]
    version_op = spec["paths"]["/api/v1/models/{name}/versions/{version}"]["get"]
    assert version_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ModelVersion")
    schemas = spec["components"]["schemas"]
    assert {"element_id", "element_type", "line", "severity", "message", "file"} <= set(schemas["Problem"]["properties"])


def test_the_use_cases_check_the_role_themselves(system):
    """The pages call app.services.models directly: the role check is there, not only in the API."""
    from app.services import models
    from app.domain.caller import Caller
    from app.services.errors import Forbidden, NotFound
    manager = Caller(id="u-manager-1", name="m", role="manager", company="dev-1")
    for call in (lambda c: models.check(system, c, ORDER_FILES), lambda c: models.versions(system, c),
                 lambda c: models.version(system, c, "order_creation", 1)):
        with pytest.raises(Forbidden):
            call(manager)
    analyst = Caller(id="u-analyst", name="a", role="analyst", company=None)
    with pytest.raises(NotFound):
        models.version(system, analyst, "order_creation", 999)
