"""State size and the engine ceiling (printed; run with -s to see the figures)."""
import json

from app.engine import ProcessEngine
from app.engine.ceiling import measure_engine_ceiling, run_once
from .conftest import HANDLERS
from .helpers import NOW, roundtrip

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')


def linear_saga(steps: int) -> bytes:
    """steps service tasks, each with a compensation handler, and an error event sub-process."""
    body = ['<bpmn:startEvent id="start"/>']
    prev = "start"
    for i in range(1, steps + 1):
        body.append(f'''<bpmn:sequenceFlow id="f{i}" sourceRef="{prev}" targetRef="s{i}"/>
<bpmn:serviceTask id="s{i}" name="Step {i}"><bpmn:extensionElements>
  <spiffworkflow:serviceTaskOperator id="op"/></bpmn:extensionElements></bpmn:serviceTask>
<bpmn:boundaryEvent id="s{i}_c" attachedToRef="s{i}"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
<bpmn:serviceTask id="u{i}" isForCompensation="true"><bpmn:extensionElements>
  <spiffworkflow:serviceTaskOperator id="undo"/></bpmn:extensionElements></bpmn:serviceTask>
<bpmn:association id="a{i}" sourceRef="s{i}_c" targetRef="u{i}"/>''')
        prev = f"s{i}"
    body.append(f'<bpmn:sequenceFlow id="fend" sourceRef="{prev}" targetRef="end"/><bpmn:endEvent id="end"/>')
    body.append('''<bpmn:subProcess id="on_error" triggeredByEvent="true">
  <bpmn:startEvent id="es"><bpmn:errorEventDefinition errorRef="E"/></bpmn:startEvent>
  <bpmn:sequenceFlow id="ef" sourceRef="es" targetRef="ee"/>
  <bpmn:endEvent id="ee"><bpmn:compensateEventDefinition/></bpmn:endEvent></bpmn:subProcess>''')
    return (f'<bpmn:definitions {NS} id="d" targetNamespace="x"><bpmn:error id="E" errorCode="step_failed"/>'
            f'<bpmn:process id="linear" isExecutable="true">{"".join(body)}</bpmn:process>'
            f'</bpmn:definitions>').encode()


def test_state_of_a_10_step_saga_stays_small(engine):
    model = engine.parse({"linear.bpmn": linear_saga(10)}, "linear")
    inst = engine.start(model, {"order_id": "0" * 24})
    inst.advance(NOW)
    sizes = []
    while inst.pending_service_calls():
        call = inst.pending_service_calls()[0]
        inst.complete_service(call.task_id, {"result": call.step})
        inst.advance(NOW)
        sizes.append(len(json.dumps(inst.dump(), separators=(",", ":"))))
        inst = roundtrip(engine, inst)
    assert inst.is_completed()
    print(f"\n10-step saga state: {sizes[4]} bytes mid-way, {sizes[-1]} bytes completed (max {max(sizes)})")
    assert max(sizes) < 8000


def test_mid_compensation_state_of_a_10_step_saga(engine):
    model = engine.parse({"linear.bpmn": linear_saga(10)}, "linear")
    inst = engine.start(model, {})
    inst.advance(NOW)
    for _ in range(9):
        inst.complete_service(inst.pending_service_calls()[0].task_id, {})
        inst.advance(NOW)
    inst.fail_service(inst.pending_service_calls()[0].task_id, "step_failed", "x")
    inst.advance(NOW)
    undone = []
    while inst.pending_service_calls():
        inst = roundtrip(engine, inst)
        call = inst.pending_service_calls()[0]
        undone.append(call.compensates)
        inst.complete_service(call.task_id, {})
        inst.advance(NOW)
    assert undone == [f"s{i}" for i in range(9, 0, -1)]
    size = len(json.dumps(inst.dump(), separators=(",", ":")))
    print(f"\n10-step saga state after full compensation: {size} bytes")
    assert size < 12000


def test_engine_ceiling_is_measured(model):
    saga = model("saga")
    outputs = {"escrow.step1": {"client_id": "c1"}, "escrow.step2": {"escrow_account": "40817"},
               "escrow.step3": {}}
    engine = ProcessEngine(HANDLERS)
    inst, steps = run_once(engine, saga, outputs, {"amount": 1})
    assert inst.is_completed() and inst.status() == "ACTIVE" and steps == 3
    rate = measure_engine_ceiling(engine, saga, outputs, {"amount": 1}, 30)["engine_ceiling_per_s"]
    print(f"\nengine ceiling, 3-step saga with round trip after each step: {rate:.0f} instances/s")
    assert rate > 0
