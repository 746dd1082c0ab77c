"""Serialization: SPIFF_CONFIG plus converters for our specs; workflow state WITHOUT the spec.

The state dict keeps task ids, states, deltas of task data and internal data only. Specs are
stored once (ParsedModel.spec_json, by hash) and passed back in when loading.
"""
from copy import deepcopy
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnStartTaskConverter, EventConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.serializer.helpers.spec import EventDefinitionConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

from .events import (
    CompensateEventDefinition, EscrowConditionalEventDefinition, EscrowCycleTimer, EscrowDurationTimer,
    EscrowErrorEventDefinition, EscrowEscalationEventDefinition, EscrowMessageEventDefinition,
    EscrowSignalEventDefinition, EscrowTerminateEventDefinition, EscrowTimeDateTimer,
)
from .multi_instance import EscrowParallelMultiInstance, EscrowSequentialMultiInstance
from .parser import PassThroughTask
from .specs import (
    CancelEndEvent, CompensateEndEvent, CompensateThrowEvent, DeferredServiceTask, EscrowBoundaryEvent,
    EscrowBoundaryEventJoin, EscrowEndJoin, EscrowEventSubprocess, EscrowStartEvent, EscrowStartTask,
)
from .workflow import EscrowSubWorkflow, EscrowWorkflow

# ours, serialized as the stock class they extend (no attributes of their own)
AS_THEIR_BASE = [
    DeferredServiceTask, PassThroughTask, EscrowEndJoin, EscrowEventSubprocess, EscrowBoundaryEvent,
    EscrowBoundaryEventJoin,
    CompensateThrowEvent, CompensateEndEvent, CancelEndEvent,
    EscrowParallelMultiInstance, EscrowSequentialMultiInstance,
    EscrowMessageEventDefinition, EscrowSignalEventDefinition, EscrowErrorEventDefinition,
    EscrowEscalationEventDefinition, EscrowTerminateEventDefinition, EscrowDurationTimer,
    EscrowTimeDateTimer, EscrowConditionalEventDefinition,
]

STATE_VERSION = 1


class StartEventConverter(EventConverter):
    def to_dict(self, spec):
        dct = super().to_dict(spec)
        dct["interrupting"] = spec.interrupting
        return dct


class StartTaskConverter(BpmnStartTaskConverter):
    def to_dict(self, spec):
        dct = super().to_dict(spec)
        dct["compensation_subprocess"] = spec.compensation_subprocess
        return dct

    def from_dict(self, dct):
        compensation_subprocess = dct.pop("compensation_subprocess", None)
        spec = super().from_dict(dct)
        spec.compensation_subprocess = compensation_subprocess
        return spec


class CompensateDefinitionConverter(EventDefinitionConverter):
    def to_dict(self, definition):
        dct = super().to_dict(definition)
        dct["activity_ref"] = definition.activity_ref
        dct["wait_for_completion"] = definition.wait_for_completion
        return dct


class CompactTaskConverter(TaskConverter):
    """Omits default values (no internal data, not triggered, unchanged data) to keep state small."""

    def to_dict(self, task):
        dct = {"id": str(task.id), "state": task.state, "spec": task.task_spec.name,
               "t": round(task.last_state_change, 6)}
        if task._children:
            dct["children"] = [str(c) for c in task._children]
        if task.triggered:
            dct["triggered"] = True
        if task.internal_data:
            dct["internal"] = self.registry.convert(task.internal_data)
        parent = task.parent
        if parent is None:
            dct["data"] = self.registry.convert(self.registry.clean(task.data))
        elif task.data is not parent.data and task.data != parent.data:
            updates = DeepMerge.get_updated_keys(parent.data, task.data)
            deletions = DeepMerge.get_deleted_keys(parent.data, task.data)
            if updates:
                dct["updates"] = self.registry.convert(self.registry.clean(updates))
            if deletions:
                dct["deletions"] = list(deletions)
        return dct

    def from_dict(self, dct, workflow, parent=None):
        spec = workflow.spec.task_specs.get(dct["spec"])
        task = Task.__new__(Task)      # skip __init__: no uuid4(), no parent notification
        task.id = UUID(dct["id"])
        workflow.tasks[task.id] = task
        task.workflow = workflow
        task._parent = parent.id if parent is not None else None
        task._children = [UUID(c) for c in dct.get("children", ())]
        task._state = dct["state"]
        task.triggered = dct.get("triggered", False)
        task.task_spec = spec
        task.thread_id = 0
        task.last_state_change = dct["t"]
        task.internal_data = self.registry.restore(dct.get("internal", {}))
        if parent is None:
            task.data = self.registry.restore(dct.get("data", {}))
        else:
            data = DeepMerge.merge({}, parent.data)
            if "updates" in dct:
                data.update(self.registry.restore(dct["updates"]))
            for key in dct.get("deletions", ()):
                data.pop(key, None)
            task.data = data
        if isinstance(spec, CatchingEvent) and task._state == TaskState.WAITING:
            workflow.top_workflow.event_manager.add_task(task)
        return task


def tasks_to_list(converter, workflow):
    """Tasks in tree order (parents before children) so deltas can be applied while loading."""
    out, stack = [], [workflow.task_tree]
    while stack:
        task = stack.pop()
        out.append(converter.to_dict(task))
        stack.extend(reversed(task.children))
    return out


def tasks_from_list(converter, items, workflow):
    workflow.tasks = {}
    parents = {}
    for dct in items:
        task = converter.from_dict(dct, workflow, parents.get(dct["id"]))
        for child in task._children:
            parents[str(child)] = task
    workflow.task_tree = workflow.tasks[UUID(items[0]["id"])]


class _WorkflowStateMixin:
    def base_to_dict(self, workflow):
        dct = {
            "tasks": tasks_to_list(self.task_converter, workflow),
            "completed": workflow.completed,
        }
        if workflow.data:
            dct["data"] = self.registry.convert(self.registry.clean(workflow.data))
        if workflow.correlations:
            dct["correlations"] = workflow.correlations
        if not workflow.success:
            dct["success"] = False
        if workflow.last_task is not None:
            dct["last_task"] = str(workflow.last_task.id)
        return dct

    def base_from_dict(self, workflow, dct):
        tasks_from_list(self.task_converter, dct["tasks"], workflow)
        workflow.completed = dct.get("completed", False)
        workflow.success = dct.get("success", True)
        workflow.correlations = dict(dct.get("correlations", {}))
        workflow.data = self.registry.restore(dct.get("data", {}))
        last = dct.get("last_task")
        workflow.last_task = workflow.tasks.get(UUID(last)) if last else None


class EscrowWorkflowConverter(_WorkflowStateMixin, BpmnWorkflowConverter):
    """Top workflow state without spec or subprocess specs."""

    task_converter = None

    def to_dict(self, workflow):
        dct = self.base_to_dict(workflow)
        if workflow.subprocesses:
            dct["subprocesses"] = {
                str(tid): self.sub_to_dict(sp) for tid, sp in workflow.subprocesses.items()
            }
        if workflow.bpmn_events:
            dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def sub_to_dict(self, sp):
        dct = self.base_to_dict(sp)
        dct["spec"] = sp.spec.name
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        self.base_from_dict(workflow, dct)
        pending = dict(dct.get("subprocesses", {}))
        # parents before children: a subprocess' parent task must exist first
        queue = [workflow]
        while queue:
            wf = queue.pop(0)
            for task in list(wf.tasks.values()):
                sp_dct = pending.pop(str(task.id), None)
                if sp_dct is None:
                    continue
                sp = EscrowSubWorkflow(subprocess_specs[sp_dct["spec"]], task.id, workflow, deserializing=True)
                self.base_from_dict(sp, sp_dct)
                workflow.subprocesses[task.id] = sp
                sp.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
                queue.append(sp)
        workflow.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        return workflow


def make_registry():
    config = deepcopy(SPIFF_CONFIG)
    for cls in AS_THEIR_BASE:
        config[cls] = next(config[base] for base in cls.__mro__[1:] if base in config)
    config[EscrowCycleTimer] = config[CycleTimerEventDefinition]   # not a subclass: no spawning
    config[EscrowStartTask] = StartTaskConverter
    config[EscrowStartEvent] = StartEventConverter
    config[CompensateEventDefinition] = CompensateDefinitionConverter
    config[EscrowWorkflow] = EscrowWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # configure() keeps only bound methods; reach our workflow converter to give it the
    # compact task converter
    workflow_converter = registry.convert_to_dict["EscrowWorkflow"].args[1].__self__
    workflow_converter.task_converter = CompactTaskConverter(Task, registry, typename="EscrowTask")
    return registry
