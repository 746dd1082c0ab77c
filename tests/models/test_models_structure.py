"""The BPMN models: well-formed, complete diagrams, known handlers, wired compensation."""
from pathlib import Path

import pytest
import SpiffWorkflow
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
MODELS = {"order_creation": BPMN_DIR / "order_creation.bpmn",
          "backoffice_resolution": BPMN_DIR / "backoffice_resolution.bpmn"}

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
XSD = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"

# docs/architecture.md and the handler contract: the steps ...
STEP_HANDLERS = {
    "compliance.check_depositor", "clients.find_by_document", "clients.create_depositor",
    "escrow.reserve_account", "escrow.bind_to_developer", "orders.create_depositor_order",
    "signing.send_code", "signing.expire_code", "clients.merge_records", "backoffice.escalate",
}
# ... and what undoes them
COMPENSATION_HANDLERS = {
    "create_client": "clients.deactivate_depositor",
    "reserve_account": "escrow.release_account",
    "bind_account": "escrow.unbind_from_developer",
    "create_depositor_order": "orders.cancel_depositor_order",
    "send_code": "signing.revoke_code",
}
FLOW_NODES = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
              "task", "serviceTask", "userTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway", "eventBasedGateway")


def parse(name):
    return etree.parse(str(MODELS[name]))


def xp(node, path):
    return node.xpath(path, namespaces=NS)


def local(el):
    return etree.QName(el).localname


def flow_nodes(doc):
    return [el for el in xp(doc, "//bpmn:process//*") if local(el) in FLOW_NODES]


def by_id(doc):
    return {el.get("id"): el for el in doc.iter() if isinstance(el.tag, str) and el.get("id")}


def operator(task):
    ops = xp(task, "./bpmn:extensionElements/spiffworkflow:serviceTaskOperator")
    assert len(ops) == 1, f"{task.get('id')}: one serviceTaskOperator expected"
    return ops[0].get("id")


def properties(el):
    return {p.get("name"): p.get("value")
            for p in xp(el, "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property")}


@pytest.fixture(params=sorted(MODELS))
def doc(request):
    return parse(request.param)


# ---- general ----
def test_well_formed_and_valid_against_the_bpmn_schema(doc):
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(doc), [str(e) for e in schema.error_log][:5]


def test_process_is_executable_with_the_file_name_as_id():
    for name in MODELS:
        process = xp(parse(name), "/bpmn:definitions/bpmn:process")
        assert [p.get("id") for p in process] == [name]
        assert process[0].get("isExecutable") == "true"
        assert xp(process[0], "./bpmn:documentation")[0].text.strip()


def test_spiffworkflow_namespace_is_declared(doc):
    assert doc.getroot().nsmap.get("spiffworkflow") == NS["spiffworkflow"]


def test_every_element_has_a_unique_id(doc):
    ids = []
    for el in xp(doc, "//bpmn:process//*"):
        if local(el) in FLOW_NODES + ("sequenceFlow", "association", "lane", "laneSet"):
            assert el.get("id"), f"{local(el)} without id on line {el.sourceline}"
            ids.append(el.get("id"))
    assert len(ids) == len(set(ids))


def test_every_node_flow_and_association_is_drawn(doc):
    shapes = {s.get("bpmnElement"): s for s in xp(doc, "//bpmndi:BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in xp(doc, "//bpmndi:BPMNEdge")}
    for node in flow_nodes(doc) + xp(doc, "//bpmn:lane") + xp(doc, "//bpmn:participant"):
        shape = shapes.get(node.get("id"))
        assert shape is not None, f"no shape for {local(node)} {node.get('id')}"
        bounds = xp(shape, "./dc:Bounds")[0]
        assert float(bounds.get("width")) > 0 and float(bounds.get("height")) > 0
    for flow in xp(doc, "//bpmn:sequenceFlow | //bpmn:association"):
        edge = edges.get(flow.get("id"))
        assert edge is not None, f"no edge for {flow.get('id')}"
        assert len(xp(edge, "./di:waypoint")) >= 2
    known = by_id(doc)
    for di in list(shapes) + list(edges):
        assert di in known, f"diagram element for unknown {di}"
    plane = xp(doc, "//bpmndi:BPMNPlane")[0]
    assert plane.get("bpmnElement") in known


def test_flows_connect_existing_nodes_and_nothing_dangles(doc):
    ids = by_id(doc)
    for flow in xp(doc, "//bpmn:sequenceFlow"):
        assert flow.get("sourceRef") in ids and flow.get("targetRef") in ids
    sources = {f.get("sourceRef") for f in xp(doc, "//bpmn:sequenceFlow")}
    targets = {f.get("targetRef") for f in xp(doc, "//bpmn:sequenceFlow")}
    for node in flow_nodes(doc):
        kind, node_id = local(node), node.get("id")
        compensation = node.get("isForCompensation") == "true" or xp(node, "./bpmn:compensateEventDefinition")
        if compensation or kind == "subProcess" and node.get("triggeredByEvent") == "true":
            continue
        if kind not in ("startEvent", "boundaryEvent"):
            assert node_id in targets, f"nothing leads to {kind} {node_id}"
        if kind != "endEvent":
            assert node_id in sources, f"nothing leaves {kind} {node_id}"


def test_gateway_conditions_name_only_known_variables(doc):
    for gateway in xp(doc, "//bpmn:exclusiveGateway"):
        outgoing = xp(doc, f"//bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']")
        if len(outgoing) > 1:
            for flow in outgoing:
                condition = xp(flow, "./bpmn:conditionExpression")
                assert condition, f"{flow.get('id')}: a gateway branch needs a condition"
                text = condition[0].text
                assert any(v in text for v in ("client_match", "decision")), text


# ---- handlers ----
def test_every_service_task_names_a_known_handler(doc):
    for task in xp(doc, "//bpmn:serviceTask"):
        name = operator(task)
        if task.get("isForCompensation") == "true":
            assert name in COMPENSATION_HANDLERS.values(), f"{task.get('id')}: {name}"
        else:
            assert name in STEP_HANDLERS, f"{task.get('id')}: {name}"
        props = properties(task)
        assert int(props["retry.max_attempts"]) >= 1 and float(props["retry.base_s"]) > 0


def test_every_handler_the_models_name_is_registered():
    from handlers.registry import load_all
    registered = set(load_all())
    named = {operator(t) for name in MODELS for t in xp(parse(name), "//bpmn:serviceTask")}
    assert named - registered == set()


def test_order_creation_steps_in_order():
    doc = parse("order_creation")
    ops = {t.get("id"): operator(t) for t in xp(doc, "//bpmn:serviceTask")}
    assert ops["compliance_check"] == "compliance.check_depositor"
    assert ops["find_client"] == "clients.find_by_document"
    assert ops["create_client"] == "clients.create_depositor"
    assert ops["reserve_account"] == "escrow.reserve_account"
    assert ops["bind_account"] == "escrow.bind_to_developer"
    assert ops["create_depositor_order"] == "orders.create_depositor_order"
    assert ops["send_code"] == "signing.send_code"
    assert ops["expire_code"] == "signing.expire_code"
    chain = ["client_ready", "reserve_account", "bind_account", "create_depositor_order", "send_code", "sign_order",
             "signed"]
    for source, target in zip(chain, chain[1:]):
        assert xp(doc, f"//bpmn:sequenceFlow[@sourceRef='{source}' and @targetRef='{target}']"), (source, target)


# ---- compensation ----
def test_every_compensation_boundary_is_associated_with_a_compensation_task(doc):
    ids = by_id(doc)
    for boundary in xp(doc, "//bpmn:boundaryEvent[bpmn:compensateEventDefinition]"):
        links = xp(doc, f"//bpmn:association[@sourceRef='{boundary.get('id')}']")
        assert len(links) == 1, boundary.get("id")
        handler = ids[links[0].get("targetRef")]
        assert local(handler) == "serviceTask" and handler.get("isForCompensation") == "true"
        assert not xp(doc, f"//bpmn:sequenceFlow[@sourceRef='{boundary.get('id')}']")
        assert not xp(doc, f"//bpmn:sequenceFlow[@targetRef='{handler.get('id')}']")


def test_each_bank_side_effect_is_compensated_by_the_right_handler():
    doc = parse("order_creation")
    ids = by_id(doc)
    found = {}
    for boundary in xp(doc, "//bpmn:boundaryEvent[bpmn:compensateEventDefinition]"):
        link = xp(doc, f"//bpmn:association[@sourceRef='{boundary.get('id')}']")[0]
        handler = ids[link.get("targetRef")]
        found[boundary.get("attachedToRef")] = operator(handler)
        assert xp(handler, "./bpmn:documentation")[0].text.strip(), "say what the bank does on rollback"
    assert found == COMPENSATION_HANDLERS


def test_failure_and_cancel_compensate_the_whole_scope():
    doc = parse("order_creation")
    errors = {e.get("id"): e.get("errorCode") for e in xp(doc, "//bpmn:error")}
    assert errors == {"step_failed": "step_failed", "compliance_refused": "compliance_refused"}
    messages = {m.get("id"): m.get("name") for m in xp(doc, "//bpmn:message")}
    assert messages == {"cancel_order": "cancel_order", "new_code_requested": "new_code_requested"}
    expected = {"rollback_on_failure": ("errorEventDefinition", "errorRef", "step_failed", "ROLLED_BACK"),
                "cancel_on_request": ("messageEventDefinition", "messageRef", "cancel_order", "CANCELLED")}
    for sp_id, (definition, ref, target, status) in expected.items():
        sp = xp(doc, f"//bpmn:subProcess[@id='{sp_id}']")[0]
        assert sp.get("triggeredByEvent") == "true"
        start = xp(sp, "./bpmn:startEvent")[0]
        assert start.get("isInterrupting") != "false"
        assert xp(start, f"./bpmn:{definition}")[0].get(ref) == target
        throw = xp(sp, "./bpmn:intermediateThrowEvent/bpmn:compensateEventDefinition")
        assert len(throw) == 1 and throw[0].get("activityRef") is None
        assert throw[0].get("waitForCompletion") == "true"
        end = xp(sp, "./bpmn:endEvent")[0]
        assert properties(end)["status"] == status
        chain = [start.get("id"), throw[0].getparent().get("id"), end.get("id")]
        for source, target in zip(chain, chain[1:]):
            assert xp(sp, f"./bpmn:sequenceFlow[@sourceRef='{source}' and @targetRef='{target}']")


def test_compliance_refusal_ends_rejected():
    doc = parse("order_creation")
    boundary = xp(doc, "//bpmn:boundaryEvent[@attachedToRef='compliance_check']")[0]
    assert xp(boundary, "./bpmn:errorEventDefinition")[0].get("errorRef") == "compliance_refused"
    flow = xp(doc, f"//bpmn:sequenceFlow[@sourceRef='{boundary.get('id')}']")[0]
    assert properties(by_id(doc)[flow.get("targetRef")])["status"] == "REJECTED"


# ---- statuses, user tasks, timers ----
def test_statuses():
    doc = parse("order_creation")
    status = {el.get("id"): properties(el).get("status") for el in flow_nodes(doc)}
    assert status["signed"] == "SIGNED"
    assert status["rejected"] == "REJECTED"
    assert status["rejected_by_backoffice"] == "REJECTED"
    assert status["rolled_back"] == "ROLLED_BACK"
    assert status["cancelled"] == "CANCELLED"
    assert status["sign_order"] == "AWAITING_SIGNATURE"
    assert status["wait_new_code"] == "AWAITING_SIGNATURE"
    assert status["backoffice_review"] == "BACKOFFICE_REVIEW"
    for end in xp(doc, "//bpmn:endEvent"):
        assert properties(end).get("status"), f"end event {end.get('id')} without status"


def test_user_tasks_have_lane_status_and_an_existing_form():
    from app.forms import check_form
    expected = {"sign_order": ("depositor", "sign_order.json"),
                "resolve_duplicates": ("backoffice", "backoffice_resolution.json")}
    seen = {}
    for name in MODELS:
        doc = parse(name)
        lanes = {ref.text: ref.getparent().get("name") for ref in xp(doc, "//bpmn:flowNodeRef")}
        for task in xp(doc, "//bpmn:userTask"):
            props = properties(task)
            assert props["lane"] == lanes[task.get("id")]
            assert props["status"]
            check_form(ROOT / "forms", props["formJsonSchemaFilename"])
            seen[task.get("id")] = (props["lane"], props["formJsonSchemaFilename"])
    assert seen == expected


def test_signing_loop():
    doc = parse("order_creation")
    boundaries = {b.get("id"): b for b in xp(doc, "//bpmn:boundaryEvent[@attachedToRef='sign_order']")}
    message = boundaries["new_code_boundary"]
    assert message.get("cancelActivity") != "false"
    assert xp(message, "./bpmn:messageEventDefinition")[0].get("messageRef") == "new_code_requested"
    timer = boundaries["code_expired_boundary"]
    assert timer.get("cancelActivity") != "false"
    assert xp(timer, ".//bpmn:timeDuration")[0].text.strip() == "code_ttl"

    def target(source):
        return xp(doc, f"//bpmn:sequenceFlow[@sourceRef='{source}']/@targetRef")

    assert target("new_code_boundary") == ["send_code"]
    assert target("code_expired_boundary") == ["expire_code"]
    assert target("expire_code") == ["wait_new_code"]
    wait = by_id(doc)["wait_new_code"]
    assert xp(wait, "./bpmn:messageEventDefinition")[0].get("messageRef") == "new_code_requested"
    assert target("wait_new_code") == ["send_code"]


def test_backoffice_model():
    doc = parse("backoffice_resolution")
    assert [lane.get("name") for lane in xp(doc, "//bpmn:lane")] == ["backoffice"]
    timer = xp(doc, "//bpmn:boundaryEvent[@attachedToRef='resolve_duplicates']")[0]
    assert timer.get("cancelActivity") == "false"
    assert xp(timer, ".//bpmn:timeDuration")[0].text.strip() == "backoffice_sla"
    ops = {t.get("id"): operator(t) for t in xp(doc, "//bpmn:serviceTask")}
    assert ops == {"escalate": "backoffice.escalate", "merge_records": "clients.merge_records"}
    conditions = {f.get("targetRef"): xp(f, "./bpmn:conditionExpression")[0].text
                  for f in xp(doc, "//bpmn:sequenceFlow[@sourceRef='decision_gateway']")}
    assert conditions == {"client_chosen": 'decision == "use_existing"', "merge_records": 'decision == "merge"',
                          "order_rejected": 'decision == "reject"'}
    call = xp(parse("order_creation"), "//bpmn:callActivity")[0]
    assert call.get("calledElement") == "backoffice_resolution"


# ---- layout: what a modeler shows ----
def bounds(doc):
    out = {}
    for shape in xp(doc, "//bpmndi:BPMNShape"):
        b = xp(shape, "./dc:Bounds")[0]
        out[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return out


def inside(point, box, tolerance=1.0):
    x, y = point
    bx, by, bw, bh = box
    return bx - tolerance <= x <= bx + bw + tolerance and by - tolerance <= y <= by + bh + tolerance


def test_boundary_events_sit_on_their_activity_border(doc):
    boxes = bounds(doc)
    for boundary in xp(doc, "//bpmn:boundaryEvent"):
        x, y, w, h = boxes[boundary.get("id")]
        center = (x + w / 2, y + h / 2)
        hx, hy, hw, hh = boxes[boundary.get("attachedToRef")]
        assert inside(center, (hx, hy, hw, hh))
        on_border = min(abs(center[0] - hx), abs(center[0] - hx - hw), abs(center[1] - hy), abs(center[1] - hy - hh))
        assert on_border <= 1, boundary.get("id")


def test_nodes_are_drawn_in_their_lane_and_edges_touch_their_ends(doc):
    boxes = bounds(doc)
    for lane in xp(doc, "//bpmn:lane"):
        for ref in xp(lane, "./bpmn:flowNodeRef"):
            x, y, w, h = boxes[ref.text]
            assert inside((x, y), boxes[lane.get("id")]) and inside((x + w, y + h), boxes[lane.get("id")]), ref.text
    for flow in xp(doc, "//bpmn:sequenceFlow | //bpmn:association"):
        edge = xp(doc, f"//bpmndi:BPMNEdge[@bpmnElement='{flow.get('id')}']")[0]
        points = [(float(p.get("x")), float(p.get("y"))) for p in xp(edge, "./di:waypoint")]
        assert inside(points[0], boxes[flow.get("sourceRef")], 2), flow.get("id")
        assert inside(points[-1], boxes[flow.get("targetRef")], 2), flow.get("id")
        for (x1, y1), (x2, y2) in zip(points, points[1:]):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')}: draw edges with right angles"
