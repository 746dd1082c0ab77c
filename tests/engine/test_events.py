"""Intermediate message catch (messageVariable), event-based gateway (message vs timer)."""
from datetime import timedelta

import pytest

from .helpers import NOW, roundtrip

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:message id="M_go" name="go">
    <bpmn:extensionElements><spiffworkflow:messageVariable>go_payload</spiffworkflow:messageVariable></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:message id="M_code" name="code_submitted"/>
  <bpmn:process id="events" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait_go"/>
    <bpmn:intermediateCatchEvent id="wait_go">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="status" value="WAITING_GO"/></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:messageEventDefinition messageRef="M_go"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="wait_go" targetRef="gw"/>
    <bpmn:eventBasedGateway id="gw"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="got_code"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="too_late"/>
    <bpmn:intermediateCatchEvent id="got_code"><bpmn:messageEventDefinition messageRef="M_code"/></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="too_late">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT10M"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="got_code" targetRef="ok"/>
    <bpmn:endEvent id="ok"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="status" value="OK"/></spiffworkflow:properties></bpmn:extensionElements></bpmn:endEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="too_late" targetRef="late"/>
    <bpmn:endEvent id="late"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="status" value="LATE"/></spiffworkflow:properties></bpmn:extensionElements></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def waiting(engine):
    model = engine.parse({"events.bpmn": MODEL.encode()}, "events")
    inst = engine.start(model, {})
    inst.advance(NOW)
    assert inst.status() == "WAITING_GO"
    assert not inst.send_message("code_submitted", {"code": "1"})   # not waited for yet
    assert inst.send_message("go", {"by": "ops"})
    inst.advance(NOW)
    inst = roundtrip(engine, inst)
    assert inst.data["go_payload"] == {"by": "ops"}                  # the declared variable
    assert inst.next_timer_at() == NOW + timedelta(minutes=10)
    return inst


def test_event_gateway_message_wins(engine, waiting):
    assert waiting.send_message("code_submitted", {"code": "1234"})
    waiting.advance(NOW + timedelta(minutes=1))
    assert waiting.is_completed() and waiting.status() == "OK"
    assert waiting.data["code_submitted"] == {"code": "1234"}        # under the message name


def test_event_gateway_timer_wins(engine, waiting):
    waiting.advance(NOW + timedelta(minutes=9))
    assert not waiting.is_completed()
    waiting.advance(NOW + timedelta(minutes=11))
    assert waiting.is_completed() and waiting.status() == "LATE"
