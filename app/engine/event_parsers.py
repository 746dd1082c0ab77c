"""Event parsers: SpiffWorkflow 3.2.0's, reading what 3.2.0 skips or misreads.

- compensateEventDefinition (3.2.0: a none-event, or "Unsupported Catch Event" on a boundary);
- linkEventDefinition (3.2.0: a none-event that goes nowhere): a link throw event is wired to
  the link catch event of the same name in its scope, which then passes the token on;
- signal end events (3.2.0 drops the signal), error/escalation/signal/conditional start events;
- cancel end events (a transaction's: `specs.CancelEndEvent`);
- every definition is upgraded to ours (`events.upgrade`).
"""
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH, CONDITIONAL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TERMINATION_EVENT_XPATH, TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.event_definitions.simple import CancelEventDefinition, NoneEventDefinition
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser, SpiffEndEventParser, SpiffIntermediateCatchEventParser,
    SpiffIntermediateThrowEventParser, SpiffReceiveTaskParser, SpiffSendTaskParser,
    SpiffStartEventParser,
)

from .events import CompensateEventDefinition, upgrade
from .specs import CancelEndEvent, CompensateEndEvent, CompensateThrowEvent

COMPENSATE = full_tag("compensateEventDefinition")
LINK = full_tag("linkEventDefinition")
ALL_KINDS = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH,
             ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]


def is_compensate_event(node) -> bool:
    return node.find(COMPENSATE) is not None


def triggered_by_event(node) -> bool:
    # 3.2.0 only looks for a namespaced bpmn:triggeredByEvent; modelers write it unqualified
    return "true" in (node.get("triggeredByEvent"), node.get(full_tag("triggeredByEvent")))


class _EventParserMixin:
    def get_event_definition(self, xpaths):
        node = self.node.find(COMPENSATE)
        if node is not None:
            wait = node.get("waitForCompletion", "true").lower() != "false"
            return CompensateEventDefinition(activity_ref=node.get("activityRef"),
                                             wait_for_completion=wait, description="Compensate")
        if self.node.find(LINK) is not None:
            return NoneEventDefinition(description="Link")
        return upgrade(super().get_event_definition(xpaths))


class StartEventParser(_EventParserMixin, SpiffStartEventParser):
    def create_task(self):
        definition = self.get_event_definition(ALL_KINDS)
        task = self._create_task(definition)
        self.spec.start.connect(task)
        parent = self.node.getparent()
        in_event_sp = parent.tag == full_tag("subProcess") and triggered_by_event(parent)
        task.interrupting = (in_event_sp and self.node.get("isInterrupting", "true") != "false"
                             and not isinstance(definition, CompensateEventDefinition))
        return task


class EndEventParser(_EventParserMixin, SpiffEndEventParser):
    def create_task(self):
        definition = self.get_event_definition(
            [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH,
             ESCALATION_EVENT_XPATH, TERMINATION_EVENT_XPATH])
        task = self._create_task(definition)
        task.connect(self.spec.end)
        return task

    def _create_task(self, event_definition, cancel_activity=None, parallel=None):
        if isinstance(event_definition, CompensateEventDefinition):
            self.spec_class = CompensateEndEvent
        elif isinstance(event_definition, CancelEventDefinition):
            self.spec_class = CancelEndEvent
        return super()._create_task(event_definition, cancel_activity, parallel)


class IntermediateCatchEventParser(_EventParserMixin, SpiffIntermediateCatchEventParser):
    pass


class IntermediateThrowEventParser(_EventParserMixin, SpiffIntermediateThrowEventParser):
    def _create_task(self, event_definition, cancel_activity=None, parallel=None):
        if isinstance(event_definition, CompensateEventDefinition):
            self.spec_class = CompensateThrowEvent
        return super()._create_task(event_definition, cancel_activity, parallel)

    def parse_node(self):
        task = super().parse_node()
        link = self.node.find(LINK)
        if link is not None:
            task.connect(self.process_parser.parse_node(link_catch(self.node, link.get("name"))))
        return task


def link_catch(throw_node, name):
    """The link catch event of that name in the throw event's scope (validation: exactly one)."""
    for node in throw_node.getparent().iterchildren(full_tag("intermediateCatchEvent")):
        link = node.find(LINK)
        if link is not None and link.get("name") == name:
            return node
    raise LookupError(name)


class BoundaryEventParser(_EventParserMixin, SpiffBoundaryEventParser):
    pass


class _MessageTaskParserMixin:
    def create_task(self):
        task = super().create_task()
        task.event_definition = upgrade(task.event_definition)
        return task


class SendTaskParser(_MessageTaskParserMixin, SpiffSendTaskParser):
    pass


class ReceiveTaskParser(_MessageTaskParserMixin, SpiffReceiveTaskParser):
    pass
