"""SpiffBpmnParser extended with compensation, deferred service tasks and our event definitions.

Run `validation.validate` on the XML first: this parser assumes a whitelisted model.
"""
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser, SpiffEndEventParser, SpiffIntermediateCatchEventParser,
    SpiffIntermediateThrowEventParser, SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.bpmn.parser.event_parsers import (
    ERROR_EVENT_XPATH, MESSAGE_EVENT_XPATH, TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser, SubWorkflowParser
from SpiffWorkflow.spiff.specs.defaults import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent, EndEvent, IntermediateCatchEvent, IntermediateThrowEvent,
)

from . import compensation
from .specs import (
    CompensateEndEvent, CompensateEventDefinition, CompensateThrowEvent, DeferredServiceTask,
    EscrowStartEvent, upgrade,
)

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
COMPENSATE = full_tag("compensateEventDefinition")


def is_compensate_event(node) -> bool:
    return node.find(COMPENSATE) is not None


class _EventParserMixin:
    def get_event_definition(self, xpaths):
        node = self.node.find(COMPENSATE)
        if node is not None:
            wait = node.get("waitForCompletion", "true").lower() != "false"
            return CompensateEventDefinition(activity_ref=node.get("activityRef"),
                                             wait_for_completion=wait, description="Compensate")
        return upgrade(super().get_event_definition(xpaths))

    def _create_task(self, event_definition, cancel_activity=None, parallel=None):
        if isinstance(event_definition, CompensateEventDefinition):
            self.spec_class = CompensateEndEvent if self.spec_class is EndEvent else CompensateThrowEvent
        return super()._create_task(event_definition, cancel_activity, parallel)


def triggered_by_event(node) -> bool:
    # 3.2.0 only looks for a namespaced bpmn:triggeredByEvent; modelers write it unqualified
    return "true" in (node.get("triggeredByEvent"), node.get(full_tag("triggeredByEvent")))


class StartEventParser(_EventParserMixin, SpiffStartEventParser):
    def create_task(self):
        # 3.2.0 ignores error start events (they become none-starts that fire at once)
        definition = self.get_event_definition([MESSAGE_EVENT_XPATH, TIMER_EVENT_XPATH, ERROR_EVENT_XPATH])
        task = self._create_task(definition)
        self.spec.start.connect(task)
        parent = self.node.getparent()
        in_event_sp = parent.tag == full_tag("subProcess") and triggered_by_event(parent)
        task.interrupting = in_event_sp and self.node.get("isInterrupting", "true") != "false"
        return task


class UnboundServiceTaskParser(ServiceTaskParser):
    """A service task without a handler (serviceTaskOperator) parses with handler None:
    validation refuses it for deployment; a simulation runs it on scripted outcomes."""

    def create_task(self):
        if self.parse_extensions().get("serviceTaskOperator") is not None:
            return super().create_task()
        return self.spec_class(self.spec, self.bpmn_id, operation_name=None, operation_params={},
                               result_variable=None, **self.bpmn_attributes)


class SubProcessParser(SubWorkflowParser):
    def create_task(self):
        extensions = self.parse_extensions()
        spec_class = self.EVENT_SUBPROCESS_CLASS if triggered_by_event(self.node) else self.spec_class
        return spec_class(
            self.spec, self.bpmn_id,
            subworkflow_spec=SubprocessParser.get_subprocess_spec(self),
            prescript=extensions.get("preScript"), postscript=extensions.get("postScript"),
            **self.bpmn_attributes)


class EndEventParser(_EventParserMixin, SpiffEndEventParser):
    pass


class IntermediateCatchEventParser(_EventParserMixin, SpiffIntermediateCatchEventParser):
    pass


class IntermediateThrowEventParser(_EventParserMixin, SpiffIntermediateThrowEventParser):
    pass


class BoundaryEventParser(_EventParserMixin, SpiffBoundaryEventParser):
    pass


class EscrowProcessParser(SpiffProcessParser):
    """Takes compensation boundary events out of the flow and wires handlers to activities."""

    def _index_process_nodes(self):
        super()._index_process_nodes()
        # 3.2.0 indexes every node with an id attribute, extension elements too: a handler
        # named like an element (<spiffworkflow:serviceTaskOperator id="review"/>) replaced
        # the element 'review' and the flow into it led nowhere. Only BPMN elements count.
        self.nodes_by_id = {node.get("id"): node for node in self.xpath(".//bpmn:*[@id]")}
        self.compensation_boundaries = {}
        for attached, events in list(self.boundary_events_by_attached.items()):
            keep = []
            for event in events:
                if is_compensate_event(event):
                    self.compensation_boundaries[attached] = event
                else:
                    keep.append(event)
            if keep:
                self.boundary_events_by_attached[attached] = keep
            else:
                del self.boundary_events_by_attached[attached]

    def add_tasks(self):
        super().add_tasks()
        # BpmnStartTask.trigger_wf connects an event sub-process to Start the first time it
        # fires: a run-time change to the (shared, cached) spec after which every new instance
        # would start the event sub-process at once. Give it the input it needs up front.
        for name in self.spec.start.trigger_specs:
            self.spec.task_specs[name]._inputs = [self.spec.start.name]
        for activity_id, boundary in self.compensation_boundaries.items():
            activity = self.spec.task_specs.get(activity_id)
            if activity is None:        # belongs to a nested sub-process parser
                continue
            handler_node = self.get_node_by_id(self._associated(boundary.get("id")))
            handler = self.parse_node(handler_node)
            # out of the flow: no outputs; one input only so TaskSpec.test() passes
            handler._inputs = [activity.name]
            handler.extensions[compensation.FOR_EXT] = activity.bpmn_id
            activity.extensions[compensation.HANDLER_EXT] = handler.name

    def _associated(self, boundary_id):
        root = self.node.getroottree()
        for assoc in root.iterfind(".//bpmn:association", NS):
            if assoc.get("sourceRef") == boundary_id:
                return assoc.get("targetRef")
            if assoc.get("targetRef") == boundary_id:
                return assoc.get("sourceRef")
        raise LookupError(boundary_id)  # validation guarantees an association


class EscrowBpmnParser(SpiffBpmnParser):
    PROCESS_PARSER_CLASS = EscrowProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (UnboundServiceTaskParser, DeferredServiceTask),
        full_tag("startEvent"): (StartEventParser, EscrowStartEvent),
        full_tag("subProcess"): (SubProcessParser, SubWorkflowTask),
        full_tag("endEvent"): (EndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (IntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, BoundaryEvent),
    }
