"""Other engines' extensions (camunda:*, zeebe:*, flowable:*) change nothing the engine does;
deploy-time validation warns about them, naming each element and what it ignores."""
from .bpmn_kit import FORM, chain, definitions, end, flow, operator, process, start
from .helpers import NOW, finish, roundtrip

FOREIGN_NS = ('xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
              'xmlns:flowable="http://flowable.org/bpmn"')


def model(foreign: bool) -> bytes:
    attrs = 'camunda:asyncBefore="true" camunda:delegateExpression="${charge}" flowable:async="true"' if foreign else ""
    ext = ('<zeebe:taskDefinition type="charge" retries="9"/><camunda:inputOutput><camunda:inputParameter name="x">'
           '1</camunda:inputParameter></camunda:inputOutput><flowable:field name="f"/>') if foreign else ""
    user_attrs = 'camunda:formKey="embedded:app:forms/x.html" camunda:assignee="demo"' if foreign else ""
    flow_attrs = ' camunda:expression="${false}"' if foreign else ""
    return definitions(process(
        "p", start(),
        f'<bpmn:serviceTask id="charge" {attrs}><bpmn:extensionElements>{operator("op", {"amount": "amount"})}'
        f'{ext}</bpmn:extensionElements></bpmn:serviceTask>',
        f'<bpmn:userTask id="review" {user_attrs}>{FORM}</bpmn:userTask>',
        '<bpmn:exclusiveGateway id="gw" default="small"/>', end("big_end"), end(),
        chain("start", "charge", "review", "gw"),
        f'<bpmn:sequenceFlow id="big" sourceRef="gw" targetRef="big_end"{flow_attrs}><bpmn:conditionExpression>'
        f'amount &gt; 100</bpmn:conditionExpression></bpmn:sequenceFlow>', flow("gw", "end", id="small")),
        extra_ns=FOREIGN_NS)


def run(engine, xml):
    inst = engine.start(engine.parse({"p.bpmn": xml}, "p"), {"amount": 500})
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    call = inst.pending_service_calls()[0]
    trace = [(call.step, call.handler, call.params, call.retry)]
    inst, _ = finish(engine, inst, "charge")
    [task] = inst.ready_user_tasks()
    trace.append((task.step, task.lane, task.form, task.properties))
    inst.complete_user_task(task.task_id, {})
    inst.advance(NOW)
    return trace + [inst.is_completed(), sorted(inst.step_states().items())]


def test_foreign_extensions_change_nothing(engine):
    assert run(engine, model(foreign=True)) == run(engine, model(foreign=False))


def test_foreign_extensions_are_named_per_element(engine):
    checked = engine.check({"p.bpmn": model(foreign=True)}, "p")
    assert checked.valid
    warnings = sorted((p.element_id, p.message) for p in checked.problems if p.severity == "warning")
    ignored = "extensions are ignored by this engine"
    assert warnings == [
        ("big", f"Camunda 7 {ignored}: camunda:expression"),
        ("charge", f"Camunda 7 {ignored}: camunda:asyncBefore, camunda:delegateExpression, camunda:inputOutput"),
        ("charge", f"Camunda 8 (Zeebe) {ignored}: zeebe:taskDefinition"),
        ("charge", f"Flowable {ignored}: flowable:async, flowable:field"),
        ("review", f"Camunda 7 {ignored}: camunda:assignee, camunda:formKey"),
    ]
    assert engine.check({"p.bpmn": model(foreign=False)}, "p").problems == []
