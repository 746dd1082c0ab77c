"""Deploy-time validation: a whitelist; every refusal names the element id and type."""
import pytest

from app.engine import ModelError, ProcessEngine
from .conftest import FIXTURES, HANDLERS

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:message id="Message_x" name="x"/>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>
    %s
    <bpmn:sequenceFlow id="f9" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    %s
  </bpmn:process>
</bpmn:definitions>"""
SERVICE = """<bpmn:serviceTask id="work"><bpmn:extensionElements>
  <spiffworkflow:serviceTaskOperator id="%s"/></bpmn:extensionElements></bpmn:serviceTask>"""


def model(work=SERVICE % "op", extra=""):
    return {"p.bpmn": (HEAD % (work, extra)).encode()}


@pytest.fixture
def engine():
    return ProcessEngine(HANDLERS, FIXTURES / "forms")


def refused(engine, files, *fragments):
    with pytest.raises(ModelError) as err:
        engine.parse(files, "p")
    for fragment in fragments:
        assert fragment in str(err.value)
    return str(err.value)


def test_minimal_model_is_accepted(engine):
    assert engine.parse(model(), "p").process_id == "p"


def test_link_throw_without_its_catch_refused(engine):
    extra = '<bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="l"/></bpmn:intermediateThrowEvent>'
    refused(engine, model(extra=extra), "intermediateThrowEvent 'jump'", "link 'l'", "found 0")


def test_complex_gateway_refused(engine):
    refused(engine, model(extra='<bpmn:complexGateway id="cg"/>'), "complexGateway 'cg'", "not supported")


def test_business_rule_task_refused_with_the_reason(engine):
    refused(engine, model(work='<bpmn:businessRuleTask id="work"/>'), "businessRuleTask 'work'", "decision")


@pytest.mark.parametrize("extra, fragments", [
    ('<bpmn:endEvent id="sig"><bpmn:signalEventDefinition/></bpmn:endEvent>', ("endEvent 'sig'", "signalRef")),
    ('<bpmn:intermediateCatchEvent id="cond"><bpmn:conditionalEventDefinition><bpmn:condition>x.__class__'
     '</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>',
     ("intermediateCatchEvent 'cond'", "condition", "_")),
    ('<bpmn:startEvent id="cs2"><bpmn:conditionalEventDefinition><bpmn:condition>x</bpmn:condition>'
     '</bpmn:conditionalEventDefinition></bpmn:startEvent>', ("startEvent 'cs2'", "conditional")),
    ('<bpmn:adHocSubProcess id="adhoc" ordering="Sequential"/>', ("adHocSubProcess 'adhoc'",)),
    ('<bpmn:intermediateCatchEvent id="odd"><bpmn:fancyEventDefinition/></bpmn:intermediateCatchEvent>',
     ("intermediateCatchEvent 'odd'", "fancy")),
    ('<bpmn:subProcess id="es" triggeredByEvent="true"><bpmn:startEvent id="cs"><bpmn:compensateEventDefinition/>'
     '</bpmn:startEvent></bpmn:subProcess>', ("startEvent 'cs'", "compensation event sub-process", "process level")),
    ('<bpmn:intermediateCatchEvent id="cyc"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1M</bpmn:timeCycle>'
     '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>', ("intermediateCatchEvent 'cyc'", "timeCycle")),
    ('<bpmn:boundaryEvent id="b" attachedToRef="work"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>',
     ("boundaryEvent 'b'", "isForCompensation")),
    ('<bpmn:sequenceFlow id="bad" sourceRef="work" targetRef="end"><bpmn:conditionExpression>'
     'x.__class__</bpmn:conditionExpression></bpmn:sequenceFlow>', ("sequenceFlow 'bad'", "_")),
])
def test_unsupported_constructs_refused(engine, extra, fragments):
    refused(engine, model(extra=extra), *fragments)


def test_task_without_id_refused(engine):
    refused(engine, model(extra='<bpmn:task name="Check"/>'), "task", "needs an id", "'Check'")


def test_unknown_handler_refused(engine):
    refused(engine, model(work=SERVICE % "bank.nope"), "serviceTask 'work'", "no handler named 'bank.nope'")


def test_service_task_without_operator_refused(engine):
    refused(engine, model(work='<bpmn:serviceTask id="work"/>'), "serviceTask 'work'", "serviceTaskOperator")


USER = """<bpmn:userTask id="work"><bpmn:extensionElements><spiffworkflow:properties>
  <spiffworkflow:property name="formJsonSchemaFilename" value="%s"/></spiffworkflow:properties>
  </bpmn:extensionElements></bpmn:userTask>"""


def test_missing_form_refused(engine):
    refused(engine, model(work=USER % "nope.json"), "userTask 'work'", "form 'nope.json' does not exist")
    refused(engine, model(work=USER % "../conftest.py"), "userTask 'work'", "does not exist")


def test_form_that_is_not_json_refused(engine, tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    eng = ProcessEngine(HANDLERS, tmp_path)
    refused(eng, model(work=USER % "broken.json"), "userTask 'work'", "not valid JSON")


def test_existing_form_accepted(engine):
    assert engine.parse(model(work=USER % "sign_order.json"), "p")


def test_standard_loop_refused(engine):
    work = ('<bpmn:task id="work"><bpmn:standardLoopCharacteristics>'
            '<bpmn:loopCondition>True</bpmn:loopCondition></bpmn:standardLoopCharacteristics></bpmn:task>')
    refused(engine, model(work=work), "task 'work'", "standard loops", "multiInstanceLoopCharacteristics")


def test_missing_main_process_and_unknown_call_refused(engine):
    with pytest.raises(ModelError, match="'q' not found"):
        engine.parse(model(), "q")
    refused(engine, model(work='<bpmn:callActivity id="work" calledElement="ghost"/>'),
            "callActivity 'work'", "'ghost'")


def test_spec_reloads_from_json_without_xml(engine):
    parsed = engine.parse(model(), "p")
    other = ProcessEngine(HANDLERS, None)
    again = other.model_from_spec(parsed.spec_json)
    assert again.spec_hash == parsed.spec_hash and again.process_id == "p"
    assert other.model_from_spec(parsed.spec_json) is again       # cached by hash
    inst = other.start(again, {})
    inst.advance()
    assert [c.handler for c in inst.pending_service_calls()] == ["op"]


def test_script_environment_is_restricted(engine):
    work = '<bpmn:scriptTask id="work"><bpmn:script>x = open("/etc/passwd")</bpmn:script></bpmn:scriptTask>'
    inst = engine.start(engine.parse(model(work=work), "p"), {})
    with pytest.raises(Exception, match="open"):
        inst.advance()
