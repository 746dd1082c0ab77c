"""SpiffBpmnParser extended with compensation, deferred service tasks, event sub-processes at
every level, transactions, multi-instance activities and our event definitions.

Run `validation.validate` on the XML first: this parser assumes a whitelisted model.
"""
from SpiffWorkflow.bpmn.parser.task_parsers import SubprocessParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, IntermediateCatchEvent, IntermediateThrowEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import (
    CallActivityParser, ScriptTaskParser, ServiceTaskParser, SpiffTaskParser, SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.spiff.specs.defaults import (
    CallActivity, NoneTask, ReceiveTask, ScriptTask, SendTask, SubWorkflowTask, TransactionSubprocess,
    UserTask,
)

from . import compensation
from .event_parsers import (
    BoundaryEventParser, EndEventParser, IntermediateCatchEventParser, IntermediateThrowEventParser,
    ReceiveTaskParser, SendTaskParser, StartEventParser, is_compensate_event, triggered_by_event,
)
from .multi_instance import EscrowParallelMultiInstance, EscrowSequentialMultiInstance
from .specs import (
    DeferredServiceTask, EscrowBoundaryEvent, EscrowBoundaryEventJoin, EscrowEndJoin, EscrowEventSubprocess, EscrowStartEvent,
    EscrowStartTask,
)

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


class PassThroughTask(NoneTask):
    """bpmn:task and bpmn:manualTask: nothing for the engine to do, the token passes on
    (as Camunda 7 and 8; 3.2.0 waits for someone to complete them)."""

    def __init__(self, wf_spec, bpmn_id, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = False


class _Ours:
    """Our spec classes for what a task parser creates on its own."""
    PARALLEL_MI_CLASS = EscrowParallelMultiInstance
    SEQUENTIAL_MI_CLASS = EscrowSequentialMultiInstance
    EVENT_SUBPROCESS_CLASS = EscrowEventSubprocess

    def _add_boundary_event(self, children):
        """3.2.0's, without its check that a cancel boundary event is on a transaction (the
        validation does that), which fails for a multi-instance transaction."""
        split = BoundaryEventSplit(self.spec, f"{self.bpmn_id}.BoundaryEventSplit", lane=self.task.lane)
        join = EscrowBoundaryEventJoin(self.spec, f"{self.bpmn_id}.BoundaryEventJoin", lane=self.task.lane,
                                 split_task=split.name, cancel=True)
        split.connect(self.task)
        self.task.connect(join)
        for event in children:
            child = self.process_parser.parse_node(event)
            split.connect(child)
            child.connect(join)
        return split


def ours(parser_class):
    return type(parser_class.__name__, (_Ours, parser_class), {})


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


class EscrowProcessParser(SpiffProcessParser):
    """Takes compensation boundary events out of the flow and wires handlers to activities."""

    def create_spec(self):
        spec = super().create_spec()
        spec.start.__class__ = EscrowStartTask      # fresh objects: no state to carry over
        spec.end.__class__ = EscrowEndJoin
        return spec

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
        for activity_id, boundary in self.compensation_boundaries.items():
            activity = self.spec.task_specs.get(activity_id)
            if activity is None:        # belongs to a nested sub-process parser
                continue
            if isinstance(activity, LoopTask):      # each instance is compensated
                activity = self.spec.task_specs[activity.task_spec]
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
        full_tag("task"): (ours(SpiffTaskParser), PassThroughTask),
        full_tag("manualTask"): (ours(SpiffTaskParser), PassThroughTask),
        full_tag("userTask"): (ours(UserTaskParser), UserTask),
        full_tag("scriptTask"): (ours(ScriptTaskParser), ScriptTask),
        full_tag("serviceTask"): (ours(UnboundServiceTaskParser), DeferredServiceTask),
        full_tag("sendTask"): (ours(SendTaskParser), SendTask),
        full_tag("receiveTask"): (ours(ReceiveTaskParser), ReceiveTask),
        full_tag("subProcess"): (ours(SubProcessParser), SubWorkflowTask),
        full_tag("transaction"): (ours(SubProcessParser), TransactionSubprocess),
        full_tag("callActivity"): (ours(CallActivityParser), CallActivity),
        full_tag("startEvent"): (StartEventParser, EscrowStartEvent),
        full_tag("endEvent"): (EndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (IntermediateThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (BoundaryEventParser, EscrowBoundaryEvent),
    }
