"""The workbench's API without a browser: handlers and forms a model binds to, the deploy note,
what changed between versions in words, and what a deployment would affect (the application's
contract, running orders' waiting places)."""

import pytest

from app.api.factory import create_app
from app.process_models import ORDER_PROCESS
from app.services.model_diff import compare, describe
from handlers import registry
from tests.e2e.harness import Api, headers, order_body
from tests.web.model_bundles import MAIN, edit, element, insert_step, restore_order_model, shipped  # noqa: F401
from app.engine.bpmn_xml import NS

HANDLER_OF = "bpmn:extensionElements/spiffworkflow:serviceTaskOperator"


@pytest.fixture
def client(system):
    return create_app(system).test_client()


@pytest.fixture
def api(client):
    return Api(client)


def test_handlers_are_listed_with_what_a_model_author_needs(client):
    response = client.get("/api/v1/handlers", headers=headers("analyst"))
    assert response.status_code == 200
    listed = {h["name"]: h for h in response.get_json()}
    known = registry.load_all()
    assert set(listed) == set(known)
    for name, fn in known.items():
        assert listed[name]["description"], name
        assert listed[name]["read_only"] == fn.read_only
    assert listed["compliance.check_depositor"]["read_only"] is True
    merge = listed["clients.merge_records"]
    assert {p["name"] for p in merge["parameters"]} == {"survivor", "client_ids"}
    assert listed["escrow.release_account"]["compensates"] == "escrow.reserve_account"


def test_each_undo_pair_is_what_the_order_model_binds_to_its_compensation_handlers(client):
    """The registry's `compensation` of each step's handler is the handler the shipped model
    binds to that step's compensation handler."""
    listed = {h["name"]: h for h in client.get("/api/v1/handlers", headers=headers("analyst")).get_json()}
    from lxml import etree
    root = etree.fromstring(shipped()[MAIN].encode())
    pairs = 0
    for boundary in root.iterfind(".//bpmn:boundaryEvent[bpmn:compensateEventDefinition]", NS):
        association = root.find(f".//bpmn:association[@sourceRef='{boundary.get('id')}']", NS)
        step = root.find(f".//*[@id='{boundary.get('attachedToRef')}']").find(HANDLER_OF, NS).get("id")
        undo = root.find(f".//*[@id='{association.get('targetRef')}']").find(HANDLER_OF, NS).get("id")
        assert listed[step]["compensation"] == undo
        pairs += 1
    assert pairs == 5
    assert [h for h, d in listed.items() if d["compensation"]] == sorted(
        h for h, d in listed.items() if d["compensation"])  # sorted by name


def test_forms_are_listed_with_titles_in_the_readers_language(client):
    for lang, title in (("en", "Duplicate client records"), ("ru", "Дубли клиента")):
        response = client.get("/api/v1/forms", headers={**headers("analyst"), "Accept-Language": lang})
        forms = {f["name"]: f for f in response.get_json()}
        assert set(forms) == {"backoffice_resolution.json", "sign_order.json"}
        assert forms["backoffice_resolution.json"]["title"] == title
    decision = next(f for f in forms["backoffice_resolution.json"]["fields"] if f["name"] == "decision")
    assert decision["choices"] == ["use_existing", "merge", "reject"] and decision["required"]


@pytest.mark.parametrize("path", ["/api/v1/handlers", "/api/v1/forms", "/api/v1/models/order_creation/diff?from=1&to=2"])
def test_only_analysts_and_admins_may_read_them(client, path):
    assert client.get(path, headers=headers("m1")).status_code == 403
    assert client.get(path, headers=headers("bo")).status_code == 403
    assert client.get(path).status_code == 401
    assert client.get(path, headers=headers("admin")).status_code in (200, 404)


def test_the_openapi_documents_the_workbench(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/handlers", "/api/v1/forms", "/api/v1/models/{name}/diff", "/api/v1/models/{name}/deploy-check"):
        assert path in spec["paths"], path
    assert "note" in spec["components"]["schemas"]["Model"]["properties"]


# --- versions: note, layout, diff ----------------------------------------------------------

def deploy(api, files, note=None, name=ORDER_PROCESS):
    response = api.post("/api/v1/models", who="analyst", json={"name": name, "files": files, "note": note})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_deployment_keeps_its_note_and_a_new_layout_is_a_new_version(api, client, restore_order_model):
    base = deploy(api, shipped())
    moved = {**shipped(), MAIN: shipped()[MAIN].replace('<dc:Bounds x="', '<dc:Bounds x="1', 1)}
    assert moved != shipped()
    record = deploy(api, moved, note="Moved the start event")
    assert record["version"] == base["version"] + 1 and record["note"] == "Moved the start event"
    assert record["spec_hash"] == base["spec_hash"]          # the engine's spec did not change
    assert deploy(api, moved)["version"] == record["version"]  # the same files: the same version
    shown = client.get(f"/api/v1/models/order_creation/versions/{record['version']}", headers=headers("analyst"))
    assert shown.get_json()["note"] == "Moved the start event"


def test_a_note_is_at_most_2000_characters(api):
    response = api.post("/api/v1/models", who="analyst", json={"name": "x", "files": shipped(), "note": "n" * 2001})
    assert response.status_code == 422 and "note" in response.get_json()["errors"]["json"]


def test_an_added_step_is_described_where_it_sits(system):
    new = edit(shipped(), lambda p: insert_step(p, "second_check", "Second compliance check",
                                                "compliance.check_depositor", "compliance_check", "find_client"))
    changes = compare(system.catalog.engine, shipped(), new)
    assert [describe(c) for c in changes] == [
        "service task 'Second compliance check' added after 'Compliance check (115-FZ)', before "
        "'Find client by ID document', handler compliance.check_depositor"]
    back = compare(system.catalog.engine, new, shipped())
    assert [describe(c) for c in back] == [
        "service task 'Second compliance check' removed; it came after 'Compliance check (115-FZ)', before "
        "'Find client by ID document'"]


def test_changed_settings_and_flows_are_described(system):
    def change(process):
        operator = element(process, "reserve_account").find(HANDLER_OF, NS)
        operator.set("id", "escrow.reserve_account_v2")
        for prop in element(process, "signed").iterfind(".//spiffworkflow:property", NS):
            prop.set("value", "DONE")
        condition = process.find("bpmn:sequenceFlow[@id='flow_client_match_gateway_to_create_client']/bpmn:conditionExpression", NS)
        condition.text = 'client_match in ("none", "unknown")'
        element(process, "find_client").set("name", "Find the client")
        process.remove(process.find("bpmn:sequenceFlow[@id='flow_expire_code_to_wait_new_code']", NS))
    texts = [describe(c) for c in compare(system.catalog.engine, shipped(), edit(shipped(), change))]
    assert "service task 'Reserve escrow account' changed: handler escrow.reserve_account → escrow.reserve_account_v2" in texts
    assert "end event 'Signed' changed: property status SIGNED → DONE" in texts
    assert "service task 'Find client by ID document' changed: name Find client by ID document → Find the client" in texts
    assert ("sequence flow from 'Client found?' to 'Create client': condition client_match == \"none\" → "
            "client_match in (\"none\", \"unknown\")") in texts
    assert "sequence flow from 'Expire SMS code' to 'Wait for a new code request' removed" in texts
    assert len(texts) == 5


def test_the_diff_api_answers_the_changes_with_words_and_marks(api, client, restore_order_model):
    old = deploy(api, shipped())["version"]
    new = deploy(api, edit(shipped(), lambda p: insert_step(
        p, "second_check", "Second compliance check", "compliance.check_depositor", "compliance_check", "find_client")),
        note="second check")["version"]
    answer = client.get(f"/api/v1/models/order_creation/diff?from={old}&to={new}", headers=headers("analyst")).get_json()
    assert [c["kind"] for c in answer["changes"]] == ["added"]
    assert answer["changes"][0]["text"].startswith("service task 'Second compliance check' added after")
    assert answer["marks"] == {"from": {}, "to": {"second_check": "added"}}
    assert client.get(f"/api/v1/models/order_creation/diff?from={old}&to={old}",
                      headers=headers("analyst")).status_code == 422
    assert client.get("/api/v1/models/order_creation/diff?from=1&to=999", headers=headers("analyst")).status_code == 404


# --- what a deployment would affect ----------------------------------------------------------

def test_dropping_what_the_application_addresses_is_refused(api):
    def drop(process):
        task = element(process, "sign_order")
        task.set("id", "sign_it")
        for node in process.iter():
            for attr in ("sourceRef", "targetRef", "attachedToRef"):
                if node.get(attr) == "sign_order":
                    node.set(attr, "sign_it")
            if node.text == "sign_order":
                node.text = "sign_it"
    files = edit(shipped(), drop)
    response = api.post("/api/v1/models", who="analyst", json={"name": ORDER_PROCESS, "files": files})
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert [p["element_id"] for p in problems if p["severity"] == "error"] == ["sign_order"]
    assert "completes user task 'sign_order'" in response.get_json()["errors"]["json"]["files"][0]
    # the check of the files alone (validate) knows no application contract: the model is valid
    assert api.post("/api/v1/models/validate", who="analyst", json={"files": files}).get_json()["valid"]


def test_running_orders_waiting_at_a_removed_element_are_warned_about(api):
    order_id = api.create(body=order_body(passport=("4600", "777001")))
    order = api.wait_status(order_id, "AWAITING_SIGNATURE")
    version = order["model"]["version"]

    def drop_expiry(process):
        for node_id in ("code_expired_boundary", "flow_code_expired_boundary_to_expire_code"):
            process.remove(element(process, node_id))
    response = api.post("/api/v1/models/order_creation/deploy-check", who="analyst",
                        json={"files": edit(shipped(), drop_expiry)})
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["orders_running"] >= 1
    spots = {(s["element_id"], s["version"]): s["orders"] for s in answer["waiting"]}
    assert spots[("sign_order", version)] >= 1 and spots[("code_expired_boundary", version)] >= 1
    warned = [p for p in answer["problems"] if p["element_id"] == "code_expired_boundary"]
    assert len(warned) == 1 and warned[0]["severity"] == "warning"
    assert f" {version} ({spots[('code_expired_boundary', version)]})" in warned[0]["message"]
    assert "keep their versions" in warned[0]["message"]
    assert not [p for p in answer["problems"] if p["element_id"] == "sign_order"]  # still there
    unchanged = api.post("/api/v1/models/order_creation/deploy-check", who="analyst", json={"files": shipped()})
    assert not {p["element_id"] for p in unchanged.get_json()["problems"]} & {"sign_order", "code_expired_boundary"}
