"""The analysts' workbench in a real browser: add a step in the editor, see it checked while
drawing, simulate its failure, deploy it, watch new orders run it while older ones keep their
version, compare the versions; what is marked and refused; a file from another modeler; our
extensions written by the properties panel and unknown ones kept; the model pages; Russian.

The diagram is changed through the modeler's own services (`modeling`) where mouse drawing
would be fragile; the handler, form, status, lane and compensation are chosen in the real
properties panel, and markers, problems, simulation, deploy and pages are the real UI."""
import json
import re

from lxml import etree
from playwright.sync_api import expect

from app.engine.bpmn_xml import NS
from app.process_models import ORDER_PROCESS
from app.store.documents import ProcessModel
from tests.e2e.harness import eventually
from tests.web.model_bundles import EXPORTS, restore_order_model, shipped  # noqa: F401
from tests.web.test_manager_pages import SLOW, create, sign_in_to

NEW_STEP = "second_compliance_check"
MODELER = "window.escrowWorkbench.current().modeler"


def open_editor(p, name=ORDER_PROCESS):
    page = p.sign_in("analyst")
    expect(page).to_have_url(re.compile(r"/models$"))
    page.locator(f'section[aria-labelledby="model-{name}"]').get_by_role("button", name="Open the editor").click()
    expect(page.locator("#workbench")).to_have_attribute("data-ready", "true", timeout=SLOW)
    checked(page)
    return page


def checked(page):
    """Wait until the engine's check of the latest change has answered."""
    expect(page.locator("#wb-summary")).not_to_have_text("Checking…", timeout=SLOW)


def shape(page, element_id):
    return page.locator(f'#wb-canvases g.djs-element[data-element-id="{element_id}"]')


def lint_marks(page, element_id):
    return page.locator(f'#wb-canvases .djs-overlays[data-container-id="{element_id}"] .bjsl-overlay')


def problem(page, element_id):
    return page.locator(f'#wb-problems button[data-element-id="{element_id}"]')


def add_task(page, kind, element_id, name, near, dx=60, dy=-90):
    page.evaluate("""([kind, id, name, near, dx, dy]) => {
      const m = %s, modeling = m.get('modeling'), anchor = m.get('elementRegistry').get(near);
      const shape = modeling.createShape({type: kind}, {x: anchor.x + anchor.width / 2 + dx, y: anchor.y + dy}, anchor.parent);
      modeling.updateProperties(shape, {id, name});
      m.get('selection').select(shape);
    }""" % MODELER, [kind, element_id, name, near, dx, dy])


def put_between(page, element_id, before, after):
    """Reconnect: before → element → after instead of before → after."""
    page.evaluate("""([id, before, after]) => {
      const m = %s, modeling = m.get('modeling'), reg = m.get('elementRegistry');
      const a = reg.get(before), b = reg.get(after), s = reg.get(id);
      modeling.removeElements(a.outgoing.filter((f) => f.target === b));
      modeling.connect(a, s);
      modeling.connect(s, b);
    }""" % MODELER, [element_id, before, after])


def select(page, element_id):
    page.evaluate("(id) => { const m = %s; m.get('selection').select(m.get('elementRegistry').get(id)); }" % MODELER,
                  element_id)


def bundle_xml(page) -> dict:
    return page.evaluate("() => window.escrowWorkbench.xmlFiles()")


def order_doc(system, order_id, *statuses):
    return eventually(lambda: (d := system.repo.get(order_id)) and d["status"] in statuses and d, timeout=SLOW / 1000)


def latest_version() -> int:
    return ProcessModel.objects(name=ORDER_PROCESS).order_by("-version").first().version


def test_an_analyst_adds_a_step_simulates_its_failure_deploys_it_and_new_orders_run_it(
        pages, system, restore_order_model):
    system.catalog.deploy(ORDER_PROCESS, shipped(), "tests")     # start from the shipped model
    before = latest_version()
    earlier = create(system, passport=("4603", "170001"))
    assert order_doc(system, earlier, "AWAITING_SIGNATURE")["model"]["version"] == before

    p = pages()
    page = open_editor(p)
    expect(page.locator("#wb-files [role=tab]")).to_have_text(["order_creation.bpmn", "backoffice_resolution.bpmn"])
    add_task(page, "bpmn:ServiceTask", NEW_STEP, "Second compliance check", near="bind_account")
    checked(page)
    expect(lint_marks(page, NEW_STEP)).to_have_count(1)                        # bpmnlint, on the element
    expect(shape(page, NEW_STEP)).to_have_class(re.compile(r"\bproblem-error\b"))
    expect(problem(page, NEW_STEP).filter(has_text="Element is not connected")).to_have_count(1)
    expect(problem(page, NEW_STEP).filter(has_text="is not connected: no sequence flow")).to_have_count(1)  # engine
    expect(problem(page, NEW_STEP).filter(has_text="needs a handler")).to_have_count(1)
    expect(page.locator("#deploy-button")).to_be_disabled()
    p.shot("editor: an unconnected step without a handler, marked")

    page.select_option("#bio-properties-panel-escrow-handler", "compliance.check_depositor")
    expect(page.locator('[data-entry-id="escrow-handler"]')).to_contain_text("Read-only")
    put_between(page, NEW_STEP, "bind_account", "create_depositor_order")
    checked(page)
    expect(lint_marks(page, NEW_STEP)).to_have_count(0)
    expect(shape(page, NEW_STEP)).not_to_have_class(re.compile(r"\bproblem-(error|warning)\b"))
    expect(page.locator("#wb-summary")).to_contain_text("0 errors")
    p.shot("editor: the step connected and bound")

    page.get_by_role("tab", name="Simulate").click()
    page.select_option(f"#sim-outcome-{NEW_STEP}", "fail")
    page.get_by_role("button", name="Run the simulation").click()
    expect(page.locator("#simulation-status")).to_have_text("Completed · ended at Rolled back", timeout=SLOW)
    expect(page.locator("#simulation-compensations li")).to_have_text([
        "Bind to developer's account ← Unbind from developer", "Reserve escrow account ← Release escrow account",
        "Create client ← Deactivate created client"])
    for number, step in enumerate(["bind_account", "reserve_account", "create_client"], start=1):
        expect(page.locator(f'.djs-overlays[data-container-id="{step}"] .diagram-badge')).to_have_text(str(number))
        expect(shape(page, step)).to_have_class(re.compile(r"\bstate-compensated\b"))
    expect(shape(page, NEW_STEP)).to_have_class(re.compile(r"\bstate-failed\b"))
    p.shot("editor: simulated failure of the new step, compensation numbered")

    page.get_by_role("tab", name="Deploy").click()
    expect(page.locator("#deploy-button")).to_be_disabled()                   # no note yet
    page.fill("#deploy-note", "A second compliance check before the depositor order")
    page.locator("#deploy-button").click()
    expect(page.locator("#deploy-result")).to_contain_text("Deployed as a new version", timeout=SLOW)
    deployed = latest_version()
    assert deployed == before + 1
    expect(page.locator("#wb-version")).to_have_text(f"based on version {deployed}")
    p.shot("editor: deployed")

    later = create(system, passport=("4603", "170002"))
    new_order = order_doc(system, later, "AWAITING_SIGNATURE")
    assert new_order["model"]["version"] == deployed
    assert [s["state"] for s in new_order["steps"] if s["name"] == NEW_STEP] == ["completed"]
    old_order = system.repo.get(earlier)
    assert old_order["model"]["version"] == before and NEW_STEP not in {s["name"] for s in old_order["steps"]}

    manager = pages()
    order_page = sign_in_to(manager, "manager-1", f"/orders/{later}")
    expect(order_page.locator("table.steps")).to_contain_text("Second compliance check")
    expect(order_page.locator(f'#order-diagram g.djs-element[data-element-id="{NEW_STEP}"]')).to_have_class(
        re.compile(r"\bstate-completed\b"))
    manager.shot("the new order ran the added step")

    page.goto(f"/models/{ORDER_PROCESS}/diff?from={before}&to={deployed}")
    expect(page.locator(".changes li")).to_have_text([re.compile(
        r"added\s+service task 'Second compliance check' added after 'Bind to developer's account', "
        r"before 'Create depositor order', handler compliance.check_depositor")])
    expect(page.locator(f'.diff-diagram g.djs-element[data-element-id="{NEW_STEP}"]')).to_have_class(
        re.compile(r"\bdiff-added\b"))
    p.shot("diff: the step added")

    page.goto("/models")
    expect(page.locator("table.versions").first).to_contain_text("A second compliance check before the depositor order")


def test_a_loose_task_an_unbound_service_task_and_a_formless_user_task_are_marked_and_refused(pages):
    p = pages()
    page = open_editor(p)
    add_task(page, "bpmn:Task", "loose_task", "Loose task", near="find_client", dy=-100)
    add_task(page, "bpmn:ServiceTask", "unbound_step", "Unbound step", near="compliance_check", dy=140)
    put_between(page, "unbound_step", "compliance_check", "find_client")
    add_task(page, "bpmn:UserTask", "formless_task", "Formless task", near="client_ready", dx=20, dy=130)
    put_between(page, "formless_task", "client_ready", "reserve_account")
    checked(page)
    for element_id, says in (("loose_task", "no sequence flow leads to it"), ("unbound_step", "needs a handler"),
                             ("formless_task", "needs a form")):
        expect(shape(page, element_id)).to_have_class(re.compile(r"\bproblem-error\b"))
        expect(problem(page, element_id).filter(has_text=says)).to_have_count(1)
    page.get_by_role("tab", name="Deploy").click()
    page.fill("#deploy-note", "deploy anyway")
    expect(page.locator("#deploy-button")).to_be_disabled()
    expect(page.locator("#deploy-reason")).to_contain_text("Deploy is disabled")
    p.shot("editor: a loose task, an unbound service task and a formless user task, marked")

    # sent anyway, straight to the API with the page's session: refused, naming each element
    response = p.context.request.post("/api/v1/models", data={"name": ORDER_PROCESS, "files": bundle_xml(page),
                                                               "note": "anyway"},
                                      headers={"X-CSRFToken": page.locator("meta[name=csrf-token]").get_attribute("content")})
    answer = {"status": response.status, "body": response.json()}
    assert answer["status"] == 422
    refused = {p["element_id"] for p in answer["body"]["problems"] if p["severity"] == "error"}
    assert {"loose_task", "unbound_step", "formless_task"} <= refused

    problem(page, "formless_task").first.click()                              # the list selects it
    expect(page.locator("#wb-properties .bio-properties-panel-header-label").first).to_have_text("Formless task")


def test_a_file_from_another_modeler_is_checked_at_once_and_foreign_spiffworkflow_elements_survive(pages, tmp_path):
    p = pages()
    page = open_editor(p)
    page.set_input_files("#wb-upload", str(EXPORTS / "camunda_modeler.bpmn"))
    expect(page.locator("#wb-status")).to_have_text("camunda_modeler.bpmn added to the bundle; it is being checked.")
    expect(page.get_by_role("tab", name="camunda_modeler.bpmn")).to_have_attribute("aria-selected", "true")
    checked(page)
    expect(problem(page, "Activity_score").filter(has_text="Camunda 7 extensions are ignored")).to_have_count(1)
    expect(problem(page, "Activity_score").filter(has_text="needs a handler")).to_have_count(1)
    expect(shape(page, "Activity_score")).to_have_class(re.compile(r"\bproblem-error\b"))
    p.shot("editor: a Camunda Modeler file uploaded and checked")

    # SpiffArena writes elements our extension does not type: they must come back unchanged
    original = shipped()["backoffice_resolution.bpmn"].replace(
        '<spiffworkflow:property name="sla" value="backoffice_sla"/>',
        '<spiffworkflow:property name="sla" value="backoffice_sla"/><spiffworkflow:other flag="1">x</spiffworkflow:other>').replace(
        "</spiffworkflow:serviceTaskOperator>",
        '<spiffworkflow:unknownChild a="b"/></spiffworkflow:serviceTaskOperator>').replace(
        '<spiffworkflow:instructionsForEndUser>',
        '<spiffworkflow:unitTests><spiffworkflow:unitTest id="t1"><spiffworkflow:inputJson>{"decision": '
        '"merge"}</spiffworkflow:inputJson></spiffworkflow:unitTest></spiffworkflow:unitTests>'
        '<spiffworkflow:instructionsForEndUser>')
    upload = tmp_path / "backoffice_resolution.bpmn"
    upload.write_text(original, encoding="utf-8")
    page.set_input_files("#wb-upload", str(upload))
    expect(page.locator("#wb-status")).to_have_text("backoffice_resolution.bpmn replaced; it is being checked.")
    select(page, "resolve_duplicates")
    page.select_option("#bio-properties-panel-escrow-status", "PROCESSING")
    saved = bundle_xml(page)["backoffice_resolution.bpmn"]

    def spiff(xml):
        root = etree.fromstring(xml.encode())
        return sorted((etree.QName(n).localname, json.dumps(dict(n.attrib), sort_keys=True), (n.text or "").strip())
                      for n in root.iter(f"{{{NS['spiffworkflow']}}}*"))
    expected = [(tag, attrs, text) if attrs != '{"name": "status", "value": "BACKOFFICE_REVIEW"}'
                else (tag, '{"name": "status", "value": "PROCESSING"}', text) for tag, attrs, text in spiff(original)]
    assert spiff(saved) == sorted(expected)


def test_the_properties_panel_writes_our_extensions_as_the_engine_reads_them(pages):
    p = pages()
    page = open_editor(p)
    add_task(page, "bpmn:ServiceTask", "hold_account", "Hold an account", near="reserve_account", dy=-100)
    page.select_option("#bio-properties-panel-escrow-handler", "escrow.reserve_account")
    page.fill("#bio-properties-panel-escrow-retry-max", "5")
    page.fill("#bio-properties-panel-escrow-retry-base", "2.5")
    compensation = page.locator('[data-entry-id="escrow-compensation"]')
    expect(compensation).to_contain_text("escrow.release_account")
    compensation.get_by_role("button", name="Add a compensation handler").click()
    expect(page.locator("#bio-properties-panel-escrow-handler")).to_have_value("escrow.release_account")
    handler_id = page.evaluate(f"() => {MODELER}.get('selection').get()[0].id")
    p.shot("editor: a compensation handler added from the panel")

    select(page, "sign_order")
    page.select_option("#bio-properties-panel-escrow-form", "backoffice_resolution.json")
    page.select_option("#bio-properties-panel-escrow-lane", "lane_bank")
    select(page, "signed")
    page.select_option("#bio-properties-panel-escrow-status", "REJECTED")
    checked(page)

    root = etree.fromstring(bundle_xml(page)["order_creation.bpmn"].encode())
    find = lambda path: root.find(path, NS)  # noqa: E731
    step = find(".//bpmn:serviceTask[@id='hold_account']")
    assert step.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS).get("id") == "escrow.reserve_account"
    props = {q.get("name"): q.get("value") for q in step.iterfind(".//spiffworkflow:property", NS)}
    assert props == {"retry.max_attempts": "5", "retry.base_s": "2.5"}
    boundary = find(".//bpmn:boundaryEvent[@attachedToRef='hold_account']")
    assert boundary.find("bpmn:compensateEventDefinition", NS) is not None
    assert find(f".//bpmn:association[@sourceRef='{boundary.get('id')}'][@targetRef='{handler_id}']") is not None
    undo = find(f".//bpmn:serviceTask[@id='{handler_id}']")
    assert undo.get("isForCompensation") == "true"
    assert undo.find(".//spiffworkflow:serviceTaskOperator", NS).get("id") == "escrow.release_account"
    sign = find(".//bpmn:userTask[@id='sign_order']")
    sign_props = {q.get("name"): q.get("value") for q in sign.iterfind(".//spiffworkflow:property", NS)}
    assert sign_props["formJsonSchemaFilename"] == "backoffice_resolution.json" and sign_props["lane"] == "bank"
    assert "sign_order" in [r.text for r in find(".//bpmn:lane[@id='lane_bank']").iterfind("bpmn:flowNodeRef", NS)]
    assert "sign_order" not in [r.text for r in find(".//bpmn:lane[@id='lane_depositor']").iterfind("bpmn:flowNodeRef", NS)]
    assert {q.get("name"): q.get("value") for q in find(".//bpmn:endEvent[@id='signed']").iterfind(
        ".//spiffworkflow:property", NS)} == {"status": "REJECTED"}
    # the engine accepts what the panel wrote: its only error about the new step is that it is not connected
    errors = page.locator("#wb-problems li.problem-error button")
    expect(errors.and_(page.locator(f'[data-element-id="{handler_id}"]'))).to_have_count(0)
    expect(errors.and_(page.locator('[data-element-id="hold_account"]')).filter(has_text="engine")).to_have_text(
        [re.compile("is not connected")])


def test_the_model_pages_list_versions_show_one_and_download_its_files(pages, system):
    p = pages()
    page = p.sign_in("analyst")
    version = system.catalog.latest(ORDER_PROCESS).version
    row = page.locator(f'section[aria-labelledby="model-{ORDER_PROCESS}"] table.versions tbody tr').first
    expect(row).to_contain_text(f"version {version}")
    expect(row).to_contain_text("new orders")
    row.get_by_role("link", name=f"version {version}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{ORDER_PROCESS} · version {version}")
    expect(page.locator(".model-file .djs-container")).to_have_count(2)           # both files drawn
    expect(page.locator("table.elements").first).to_contain_text("compliance_check")
    p.shot("a version")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download backoffice_resolution.bpmn").click()
    assert download.value.suggested_filename == "backoffice_resolution.bpmn"
    assert etree.parse(download.value.path()).getroot().find("bpmn:process", NS).get("id") == "backoffice_resolution"


def test_the_editor_speaks_russian(pages):
    p = pages()
    page = p.sign_in("analyst")
    page.get_by_role("link", name="RU").click()
    page.goto(f"/models/{ORDER_PROCESS}/edit")
    expect(page.locator("#workbench")).to_have_attribute("data-ready", "true", timeout=SLOW)
    expect(page.get_by_role("heading", level=2, name=re.compile("Проблемы"))).to_be_visible()
    expect(page.locator("#wb-problems")).to_contain_text("У элемента нет названия")             # bpmnlint, in Russian
    select(page, "compliance_check")
    expect(page.locator('[data-group-id="group-escrow-handler"]')).to_contain_text("Обработчик")
    page.get_by_role("tab", name="Моделирование").click()
    expect(page.locator("#simulate-run")).to_have_text("Запустить моделирование")
    expect(page.locator('.djs-palette [data-action="create.task"]').first).to_have_attribute("aria-label", "Создать задачу")
    p.shot("editor in Russian")


def test_only_analysts_and_admins_open_the_model_pages(pages):
    p = pages()
    p.sign_in("manager-1")
    for path in ("/models", f"/models/{ORDER_PROCESS}/edit", f"/models/{ORDER_PROCESS}/versions/1",
                 f"/models/{ORDER_PROCESS}/diff?from=1&to=2", f"/models/{ORDER_PROCESS}/versions/1/files/order_creation.bpmn"):
        assert p.context.request.get(path).status == 403, path
    expect(p.page.get_by_role("link", name="Process models")).to_have_count(0)


def test_removing_an_element_running_orders_wait_at_is_warned_about_before_deploy(pages, system):
    waiting = create(system, passport=("4603", "170003"))
    order_doc(system, waiting, "AWAITING_SIGNATURE")                       # it waits at sign_order and its timer
    p = pages()
    page = open_editor(p)
    page.evaluate("""() => { const m = %s, reg = m.get('elementRegistry');     // the code's expiry, all of it
      m.get('modeling').removeElements(['code_expired_boundary', 'expire_code', 'wait_new_code'].map((id) => reg.get(id))); }"""
                  % MODELER)
    checked(page)
    warning = page.locator("#wb-problems li.problem-warning").filter(has_text="running order(s) wait at boundaryEvent 'Code expired'")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("They keep their versions and finish on them")
    page.get_by_role("tab", name="Deploy").click()
    page.fill("#deploy-note", "no code expiry")
    expect(page.locator("#deploy-button")).to_be_enabled()                  # a warning, not a refusal
    p.shot("editor: running orders wait at a removed element")


def test_a_simulation_takes_the_back_offices_decision_and_a_cancel_after_a_chosen_step(pages):
    p = pages()
    page = open_editor(p)
    page.get_by_role("tab", name="Simulate").click()
    page.fill("#sim-data", '{"client_match": "many", "candidates": []}')
    page.select_option("#sim-user-resolve_duplicates", label="Decision: reject")
    page.get_by_role("button", name="Run the simulation").click()
    expect(page.locator("#simulation-status")).to_have_text("Completed · ended at Order rejected, Rejected by back office", timeout=SLOW)
    expect(page.locator("#simulation-compensations li")).to_have_count(0)

    page.fill("#sim-data", '{"client_match": "none"}')
    page.select_option("#sim-message", "cancel_order")
    page.select_option("#sim-message-after", "bind_account")
    page.get_by_role("button", name="Run the simulation").click()
    expect(page.locator("#simulation-status")).to_have_text("Completed · ended at Cancelled", timeout=SLOW)
    expect(page.locator("#simulation-compensations li")).to_have_text([
        "Bind to developer's account ← Unbind from developer", "Reserve escrow account ← Release escrow account",
        "Create client ← Deactivate created client"])
    expect(shape(page, "create_depositor_order")).not_to_have_class(re.compile(r"\bstate-"))   # never reached
    p.shot("editor: a cancel after binding the account, simulated")
    page.get_by_role("button", name="Clear the simulation").click()
    expect(page.locator("#wb-canvases .diagram-badge")).to_have_count(0)
