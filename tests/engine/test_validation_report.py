"""Validation as analysts meet it: every problem at once, each with its element, line and file;
warnings for what other tools write; models exported by other tools accepted and run."""
import pytest

from app.engine import ModelError, ProcessEngine
from .conftest import FIXTURES, HANDLERS
from .helpers import NOW, drain

EXPORTS = FIXTURES / "exports"
BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
SPIFF_NS = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'


@pytest.fixture
def engine():
    return ProcessEngine(HANDLERS, FIXTURES / "forms")


def definitions(body: str, extra_ns: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {BPMN_NS} {SPIFF_NS} {extra_ns} '
            f'id="d" targetNamespace="x">\n{body}\n</bpmn:definitions>\n')


def service(task_id: str, handler: str = "op", attrs: str = "") -> str:
    return (f'<bpmn:serviceTask id="{task_id}" {attrs}><bpmn:extensionElements>'
            f'<spiffworkflow:serviceTaskOperator id="{handler}"/></bpmn:extensionElements></bpmn:serviceTask>')


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first occurrence of `fragment` in `text`."""
    return text[:text.index(fragment)].count("\n") + 1


def by_element(problems):
    return {(p.element_id, p.severity): p for p in problems}


MANY_MISTAKES = definitions("""
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge"/>
    """ + service("charge", "bank.nope") + """
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="route"/>
    <bpmn:complexGateway id="route"/>
    <bpmn:sequenceFlow id="f3" sourceRef="route" targetRef="end">
      <bpmn:conditionExpression>amount &gt; (</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:task id="forgotten"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>""")


def test_every_problem_is_reported_at_once_with_its_element_and_line(engine):
    checked = engine.check({"p.bpmn": MANY_MISTAKES}, "p")
    assert not checked.valid
    errors = {p.element_id: p for p in checked.errors}
    assert set(errors) == {"charge", "route", "f3", "forgotten"}
    assert errors["charge"].element_type == "serviceTask" and "no handler named 'bank.nope'" in errors["charge"].message
    assert errors["route"].element_type == "complexGateway" and "not supported" in errors["route"].message
    assert errors["f3"].element_type == "sequenceFlow" and "condition" in errors["f3"].message
    assert errors["forgotten"].element_type == "task" and "not connected" in errors["forgotten"].message
    assert errors["charge"].line == line_of(MANY_MISTAKES, 'id="charge"')
    assert errors["route"].line == line_of(MANY_MISTAKES, 'id="route"')
    assert errors["f3"].line == line_of(MANY_MISTAKES, "<bpmn:conditionExpression>")
    assert {p.file for p in checked.problems} == {"p.bpmn"}
    with pytest.raises(ModelError) as refused:
        engine.parse({"p.bpmn": MANY_MISTAKES}, "p")
    assert len(refused.value.errors) == 4
    assert "serviceTask 'charge'" in str(refused.value) and "complexGateway 'route'" in str(refused.value)


def test_a_valid_model_has_no_problems(engine):
    checked = engine.check({"saga.bpmn": (FIXTURES / "saga.bpmn").read_bytes()})
    assert checked.valid and checked.problems == [] and checked.processes == ["saga"]


def test_modeler_export_with_incoming_and_outgoing_runs(engine):
    """bpmn-js writes <incoming>/<outgoing> into every flow node, embedded sub-processes too."""
    files = {"trip.bpmn": (EXPORTS / "bpmnjs_trip.bpmn").read_bytes()}
    checked = engine.check(files)
    assert checked.valid and checked.problems == []
    inst = engine.start(engine.parse(files, "Process_trip"), {})
    inst.advance(NOW)
    inst, calls = drain(engine, inst)
    assert [c.step for c in calls] == ["Activity_reserve", "Activity_hotel", "Activity_flight", "Activity_charge"]
    assert inst.is_completed()


def test_missing_connector_ids_are_synthesised_with_a_warning(engine):
    text = (EXPORTS / "handwritten_no_ids.bpmn").read_text()
    checked = engine.check({"h.bpmn": text})
    assert checked.valid
    warned = {p.element_id: p for p in checked.problems}
    assert all(p.severity == "warning" for p in checked.problems)
    assert {"Flow_start_fork", "Flow_fork_book", "Flow_fork_pay", "Flow_join_end",
            "Association_bookCompensation_undoBook"} <= set(warned)
    assert warned["Flow_fork_pay"].line == line_of(text, 'sourceRef="fork" targetRef="pay"')
    assert "Flow_fork_pay" in warned["Flow_fork_pay"].message
    # the engine parses the same ids: without them 3.2.0 dropped the flows and stopped after start
    xml = checked.contents()["h.bpmn"].decode()
    assert 'id="Flow_fork_pay"' in xml and 'id="Association_bookCompensation_undoBook"' in xml
    inst = engine.start(engine.parse({"h.bpmn": text}, "handwritten"), {})
    inst.advance(NOW)
    assert sorted(c.step for c in inst.pending_service_calls()) == ["book", "pay"]
    for call in inst.pending_service_calls():
        inst.complete_service(call.task_id)
    inst.advance(NOW)
    assert inst.is_completed()


def test_synthesised_ids_are_stable_and_unique(engine):
    body = """<bpmn:process id="p">
      <bpmn:startEvent id="start"/>
      <bpmn:sequenceFlow sourceRef="start" targetRef="split"/>
      <bpmn:parallelGateway id="split"/>
      <bpmn:sequenceFlow sourceRef="split" targetRef="work"/>
      <bpmn:sequenceFlow sourceRef="split" targetRef="work"/>
      <bpmn:sequenceFlow id="Flow_work_end" sourceRef="split" targetRef="end"/>
      """ + service("work") + """
      <bpmn:sequenceFlow sourceRef="work" targetRef="end"/>
      <bpmn:endEvent id="end"/>
    </bpmn:process>"""
    files = {"p.bpmn": definitions(body)}
    first = [p.element_id for p in engine.check(files).problems]
    assert first == ["Flow_start_split", "Flow_split_work", "Flow_split_work_2", "Flow_work_end_2"]
    assert [p.element_id for p in engine.check(files).problems] == first


def test_foreign_extensions_are_warnings_naming_the_element(engine):
    """Camunda 7 attributes and extension elements are ignored, never an error by themselves."""
    body = """<bpmn:process id="p" isExecutable="true" camunda:historyTimeToLive="30">
      <bpmn:startEvent id="start" camunda:initiator="starter"/>
      <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
      """ + service("work", attrs='camunda:asyncBefore="true" zeebe:retries="5"') + """
      <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
      <bpmn:endEvent id="end"><bpmn:extensionElements>
        <camunda:executionListener event="end" class="com.example.Audit"/>
      </bpmn:extensionElements></bpmn:endEvent>
    </bpmn:process>"""
    ns = ('xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
          'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"')
    files = {"p.bpmn": definitions(body, ns)}
    checked = engine.check(files, "p")
    assert checked.valid
    warnings = by_element(checked.problems)
    assert set(warnings) == {("p", "warning"), ("start", "warning"), ("work", "warning"), ("end", "warning")}
    assert "camunda:historyTimeToLive" in warnings[("p", "warning")].message
    assert "camunda:executionListener" in warnings[("end", "warning")].message
    work = [p.message for p in checked.problems if p.element_id == "work"]
    assert any("Camunda 7" in m and "camunda:asyncBefore" in m for m in work)
    assert any("Zeebe" in m and "zeebe:retries" in m for m in work)
    inst = engine.start(engine.parse(files, "p"), {})     # and it runs as if they were not there
    inst.advance(NOW)
    assert [c.handler for c in inst.pending_service_calls()] == ["op"]


def test_camunda_modeler_export_lists_what_is_missing(engine):
    files = {"loan.bpmn": (EXPORTS / "camunda_modeler.bpmn").read_bytes()}
    checked = engine.check(files)
    errors = {(p.element_id, p.element_type) for p in checked.errors}
    assert errors == {("Activity_score", "serviceTask"), ("Activity_decide", "userTask")}
    assert any("camunda:class" in p.message for p in checked.problems if p.severity == "warning")
    # a simulation runs it without handler or form: the same problems are warnings
    relaxed = engine.check(files, bindings_required=False)
    assert relaxed.valid and {(p.element_id, p.element_type) for p in relaxed.problems} >= errors


def test_a_process_that_is_not_executable_is_named(engine):
    text = definitions("""<bpmn:process id="p" isExecutable="false">
      <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/>
      <bpmn:endEvent id="end"/></bpmn:process>""")
    with pytest.raises(ModelError) as refused:
        engine.parse({"p.bpmn": text}, "p")
    [problem] = refused.value.errors
    assert (problem.element_id, problem.element_type) == ("p", "process")
    assert "not executable" in problem.message and problem.line == line_of(text, 'id="p"')
    checked = engine.check({"p.bpmn": text})      # without a main process: nothing to run
    assert not checked.valid and checked.processes == []


def test_a_pool_that_is_not_executable_is_only_a_warning(engine):
    saga = (FIXTURES / "saga.bpmn").read_text().replace(
        "</bpmn:definitions>", '<bpmn:process id="customer" isExecutable="false"/></bpmn:definitions>')
    checked = engine.check({"saga.bpmn": saga}, "saga")
    assert checked.valid
    [problem] = checked.problems
    assert (problem.element_id, problem.severity) == ("customer", "warning")


def test_a_handler_named_like_an_element_runs(engine):
    """The parser used to take <serviceTaskOperator id="review"/> for element 'review'."""
    body = """<bpmn:process id="p" isExecutable="true">
      <bpmn:startEvent id="start"/>
      <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="op"/>
      """ + service("op") + """
      <bpmn:sequenceFlow id="f2" sourceRef="op" targetRef="undo"/>
      """ + service("undo", "undo") + """
      <bpmn:sequenceFlow id="f3" sourceRef="undo" targetRef="end"/>
      <bpmn:endEvent id="end"/></bpmn:process>"""
    inst = engine.start(engine.parse({"p.bpmn": definitions(body)}, "p"), {})
    inst.advance(NOW)
    inst, calls = drain(engine, inst)
    assert [(c.step, c.handler) for c in calls] == [("op", "op"), ("undo", "undo")]
    assert inst.is_completed()


ERROR_END = """
  <bpmn:error id="refused" name="refused" errorCode="refused">
    <bpmn:extensionElements><spiffworkflow:payloadExpression>{"reason": why, "amount": amount * 2}</spiffworkflow:payloadExpression></bpmn:extensionElements>
  </bpmn:error>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sub"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="sub_start"/>
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="refuse"/>
      <bpmn:endEvent id="refuse"><bpmn:errorEventDefinition errorRef="refused"/></bpmn:endEvent>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:boundaryEvent id="caught" attachedToRef="sub"><bpmn:errorEventDefinition errorRef="refused"/></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="caught" targetRef="handled"/>
    <bpmn:endEvent id="handled"/>
  </bpmn:process>"""


def test_an_error_end_events_payload_expression_reaches_the_catcher(engine):
    inst = engine.start(engine.parse({"p.bpmn": definitions(ERROR_END)}, "p"), {"why": "limit", "amount": 21})
    inst.advance(NOW)
    assert inst.is_completed()
    assert inst.data["bpmn_error"] == {"code": "refused", "message": "refused", "step": "refuse",
                                       "payload": {"reason": "limit", "amount": 42}}


def test_an_unsafe_payload_expression_is_refused_at_the_error(engine):
    text = definitions(ERROR_END.replace('{"reason": why, "amount": amount * 2}', "why.__class__"))
    [problem] = engine.check({"p.bpmn": text}, "p").errors
    assert (problem.element_id, problem.element_type) == ("refused", "error")
    assert problem.line == line_of(text, "<spiffworkflow:payloadExpression>")


@pytest.mark.parametrize("content, fragment, line", [
    ('<?xml version="1.0"?>\n<bpmn:definitions ' + BPMN_NS + '>\n  <bpmn:process id="p">\n</bpmn:definitions>',
     "not well-formed", 4),
    ('<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<bpmn:definitions '
     + BPMN_NS + '><bpmn:process id="p">&e;</bpmn:process></bpmn:definitions>', "DOCTYPE", 3),
])
def test_unreadable_files_are_problems_not_crashes(engine, content, fragment, line):
    checked = engine.check({"bad.bpmn": content, "saga.bpmn": (FIXTURES / "saga.bpmn").read_bytes()})
    [problem] = checked.errors
    assert (problem.file, problem.line) == ("bad.bpmn", line) and fragment in problem.message
    assert checked.processes == ["saga"]        # the other file was still read


def test_duplicate_ids_name_both_lines(engine):
    text = definitions("""<bpmn:process id="p" isExecutable="true">
      <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="end"/>
      <bpmn:endEvent id="end"/>
      <bpmn:endEvent id="end"/></bpmn:process>""")
    problems = [p for p in engine.check({"p.bpmn": text}).errors if "used twice" in p.message]
    first = line_of(text, '<bpmn:endEvent id="end"/>')
    assert [(p.element_id, p.line) for p in problems] == [("end", first + 1)]
    assert f"line {first}" in problems[0].message


def test_spiffworkflows_own_refusal_names_the_element(engine):
    """What passes our checks but SpiffWorkflow refuses still names the element."""
    text = definitions('<bpmn:process id="p" isExecutable="true"/>')
    with pytest.raises(ModelError) as refused:
        engine.parse({"p.bpmn": text}, "p")
    engine_problem = refused.value.errors[-1]
    assert (engine_problem.element_id, engine_problem.element_type) == ("p", "process")
    assert "start event" in engine_problem.message.lower()


def test_a_user_task_needs_a_form_when_forms_are_known(engine):
    body = """<bpmn:process id="p" isExecutable="true">
      <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
      <bpmn:userTask id="review"/><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
      <bpmn:endEvent id="end"/></bpmn:process>"""
    [problem] = engine.check({"p.bpmn": definitions(body)}, "p").errors
    assert (problem.element_id, problem.element_type) == ("review", "userTask") and "form" in problem.message
    assert ProcessEngine(HANDLERS, None).check({"p.bpmn": definitions(body)}, "p").valid


def flow(source, target, flow_id=None):
    return f'<bpmn:sequenceFlow id="{flow_id or f"{source}_{target}"}" sourceRef="{source}" targetRef="{target}"/>'


@pytest.mark.parametrize("body, element_id, fragment", [
    # SpiffWorkflow names its own first and last steps Start and End (hand-written models use them)
    ('<bpmn:startEvent id="Start"/>' + flow("Start", "end") + '<bpmn:endEvent id="end"/>', "Start", "reserved"),
    # a task cannot split the path by itself
    ('<bpmn:startEvent id="start"/>' + flow("start", "a") + service("a") + flow("a", "b") + flow("a", "c")
     + service("b") + service("c") + flow("b", "end") + flow("c", "end") + '<bpmn:endEvent id="end"/>',
     "a", "gateway"),
    # a sub-process has exactly one start event and an end event
    ('<bpmn:startEvent id="start"/>' + flow("start", "sub") + '<bpmn:subProcess id="sub"><bpmn:startEvent id="s"/>'
     + flow("s", "t") + service("t") + '</bpmn:subProcess>' + flow("sub", "end") + '<bpmn:endEvent id="end"/>',
     "sub", "end event"),
    # an event-based gateway waits for events, not for work
    ('<bpmn:startEvent id="start"/>' + flow("start", "gw") + '<bpmn:eventBasedGateway id="gw"/>' + flow("gw", "t")
     + service("t") + flow("t", "end") + '<bpmn:endEvent id="end"/>', "gw", "catch events"),
])
def test_what_the_engine_would_refuse_later_is_refused_here_at_its_element(engine, body, element_id, fragment):
    text = definitions(f'<bpmn:process id="p" isExecutable="true">{body}</bpmn:process>')
    checked = engine.check({"p.bpmn": text}, "p")
    assert [(p.element_id, fragment in p.message) for p in checked.errors] == [(element_id, True)]


def test_a_signal_without_id_is_refused(engine):
    text = (FIXTURES / "saga.bpmn").read_text().replace("<bpmn:process ", '<bpmn:signal name="alert"/><bpmn:process ', 1)
    [problem] = engine.check({"saga.bpmn": text}, "saga").errors
    assert problem.element_type == "signal" and "needs an id" in problem.message


def test_loops_need_a_gateway_and_data_associations_a_data_object(engine):
    body = ('<bpmn:startEvent id="start"/>' + flow("start", "a") + service("a") + flow("a", "b")
            + service("b").replace("</bpmn:serviceTask>", "<bpmn:dataInputAssociation id='in'><bpmn:sourceRef>"
                                   "order</bpmn:sourceRef><bpmn:targetRef>b</bpmn:targetRef>"
                                   "</bpmn:dataInputAssociation></bpmn:serviceTask>")
            + flow("b", "a") + '<bpmn:dataObject id="order"/>')
    text = definitions(f'<bpmn:process id="p" isExecutable="true">{body}</bpmn:process>')
    errors = engine.check({"p.bpmn": text}, "p").errors
    assert [(p.element_id, p.line) for p in errors] == [("a", line_of(text, 'id="a"')),
                                                         ("b", line_of(text, "<bpmn:sourceRef>"))]
    assert "a → b" in errors[0].message and "exclusive gateway" in errors[0].message
    assert "dataObjectReference" in errors[1].message


def test_scripts_and_conditions_in_other_languages_are_refused(engine):
    """execution.setVariable("x", 1) is valid Python too: a Groovy script must not run as Python."""
    body = ('<bpmn:startEvent id="start"/>' + flow("start", "groovy")
            + '<bpmn:scriptTask id="groovy" scriptFormat="groovy"><bpmn:script>execution.setVariable("x", 1)'
              '</bpmn:script></bpmn:scriptTask>' + flow("groovy", "gw") + '<bpmn:exclusiveGateway id="gw"/>'
            + '<bpmn:sequenceFlow id="js" sourceRef="gw" targetRef="end"><bpmn:conditionExpression '
              'language="javascript">x == 1</bpmn:conditionExpression></bpmn:sequenceFlow>'
            + '<bpmn:sequenceFlow id="py" sourceRef="gw" targetRef="end"><bpmn:conditionExpression '
              'language="python">x != 1</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:endEvent id="end"/>')
    errors = engine.check({"p.bpmn": definitions(f'<bpmn:process id="p" isExecutable="true">{body}</bpmn:process>')},
                          "p").errors
    assert sorted((p.element_id, p.message.split(" ")[0]) for p in errors) == [("groovy", "groovy"), ("js", "javascript")]


# In the style of Camunda 7's CompensationEventParseInvalidProcessTest resources: default namespace,
# no flow ids; models the standard forbids, refused at the right element.
CAMUNDA_STYLE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions id="definitions" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" targetNamespace="Examples">
  <process id="compensateProcess">
    <startEvent id="start" />
    <sequenceFlow sourceRef="start" targetRef="book" />
    <serviceTask id="book"><extensionElements><spiffworkflow:serviceTaskOperator id="op" /></extensionElements></serviceTask>
    <boundaryEvent id="bookCompensation" attachedToRef="book"><compensateEventDefinition /></boundaryEvent>
    <serviceTask id="undoBook" isForCompensation="true">
      <extensionElements><spiffworkflow:serviceTaskOperator id="undo" /></extensionElements></serviceTask>
    <association associationDirection="One" sourceRef="bookCompensation" targetRef="undoBook" />
    <sequenceFlow sourceRef="book" targetRef="throwCompensate" />
    <intermediateThrowEvent id="throwCompensate"><compensateEventDefinition activityRef="%s" /></intermediateThrowEvent>
    <sequenceFlow sourceRef="throwCompensate" targetRef="end" />
    %s
    <endEvent id="end" />
  </process>
</definitions>"""


@pytest.mark.parametrize("activity_ref, extra, element_id, fragment", [
    ("book", "", None, None),
    ("ghost", "", "throwCompensate", "activityRef 'ghost'"),
    ("book", '<sequenceFlow sourceRef="start" targetRef="undoBook" />', "undoBook", "must not have sequence flows"),
])
def test_compensation_models_the_standard_forbids(engine, activity_ref, extra, element_id, fragment):
    checked = engine.check({"c.bpmn": CAMUNDA_STYLE % (activity_ref, extra)}, "compensateProcess")
    errors = [(p.element_id, fragment in p.message) for p in checked.errors]
    assert (element_id, True) in errors if element_id else errors == []
