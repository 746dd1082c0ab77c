"""Less common paths: waitForCompletion="false", non-interrupting event sub-process, bad params."""
import pytest

from app.engine import EngineError, TaskNotFound
from .helpers import NOW, complete, only_call

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:message id="M_note" name="note"/>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="s1"/>
    <bpmn:serviceTask id="s1"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="op">
      <spiffworkflow:parameters><spiffworkflow:parameter id="x" type="str" value="%s"/></spiffworkflow:parameters>
    </spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:boundaryEvent id="s1_comp" attachedToRef="s1"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
    <bpmn:serviceTask id="u1" isForCompensation="true"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="undo"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:association id="as1" sourceRef="s1_comp" targetRef="u1"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s1" targetRef="undo_all"/>
    <bpmn:intermediateThrowEvent id="undo_all"><bpmn:compensateEventDefinition waitForCompletion="false"/></bpmn:intermediateThrowEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="undo_all" targetRef="s2"/>
    <bpmn:serviceTask id="s2"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="op"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="s2" targetRef="end"/>
    <bpmn:endEvent id="end"/>
    <bpmn:subProcess id="on_note" triggeredByEvent="true">
      <bpmn:startEvent id="note_start" isInterrupting="false"><bpmn:messageEventDefinition messageRef="M_note"/></bpmn:startEvent>
      <bpmn:sequenceFlow id="nf" sourceRef="note_start" targetRef="note_end"/>
      <bpmn:endEvent id="note_end"/>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>"""


def parse(engine, param="order_id"):
    return engine.parse({"p.bpmn": (HEAD % param).encode()}, "p")


def test_throw_without_waiting_runs_handler_alongside_the_flow(engine):
    inst = engine.start(parse(engine), {"order_id": "o1"})
    inst.advance(NOW)
    inst, _ = complete(engine, inst, step="s1")
    steps = sorted(c.step for c in inst.pending_service_calls())
    assert steps == ["s2", "u1"]                      # the flow went on while u1 runs
    s2 = next(c for c in inst.pending_service_calls() if c.step == "s2")
    inst.complete_service(s2.task_id, {})
    inst.advance(NOW)
    assert not inst.is_completed()                    # the handler still runs
    inst, call = complete(engine, inst, step="u1")
    assert inst.is_completed() and inst.step_states()["s1"] == "compensated"


def test_non_interrupting_event_subprocess_leaves_the_flow_alone(engine):
    inst = engine.start(parse(engine), {"order_id": "o1"})
    inst.advance(NOW)
    s1 = only_call(inst)
    assert inst.send_message("note", {"text": "hi"})
    inst.advance(NOW)
    assert only_call(inst).task_id == s1.task_id
    assert inst.step_states()["on_note"] == "completed"


def test_parameter_errors_name_the_step(engine):
    inst = engine.start(parse(engine, "missing_var"), {})
    inst.advance(NOW)
    with pytest.raises(EngineError, match="serviceTask 's1'.*'x'"):
        inst.pending_service_calls()


def test_unknown_task_ids_are_refused(engine):
    inst = engine.start(parse(engine), {"order_id": "o1"})
    inst.advance(NOW)
    with pytest.raises(TaskNotFound):
        inst.complete_service("00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(TaskNotFound):
        inst.complete_user_task(only_call(inst).task_id, {})   # a service task, not a user task
