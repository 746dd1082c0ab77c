"""Multi-instance activities (BPMN 2.0.2, 10.3 loop characteristics) on top of SpiffWorkflow 3.2.0's.

Kept from 3.2.0: loopCardinality or loopDataInputRef/inputDataItem, loopDataOutputRef/
outputDataItem, parallel and sequential instances, each instance a task (a sub-process instance
its own sub-workflow). Changed:
- the input element is local to its instance (BPMN; Camunda 7 likewise): it is not merged back
  into the activity's data, where 3.2.0's sequential variant then refused the next instance;
- completionCondition sees numberOfInstances, numberOfCompletedInstances and
  numberOfActiveInstances (BPMN's names; Camunda 7's nrOfInstances, nrOfCompletedInstances,
  nrOfActiveInstances as well) besides the completed instance's data.
"""
from SpiffWorkflow.spiff.specs.defaults import (
    ParallelMultiInstanceTask, SequentialMultiInstanceTask,
)
from SpiffWorkflow.util.task import TaskState


_NONE = object()


class _InstanceLocalItem:
    def merge_child(self, workflow, child):
        # keep the instance's input element out of the merge, not out of the instance (its
        # compensation handler still needs it)
        name = self.input_item.bpmn_id if self.input_item is not None else None
        item = child.data.pop(name, _NONE) if name is not None else _NONE
        try:
            super().merge_child(workflow, child)
        finally:
            if item is not _NONE:
                child.data[name] = item

    def check_completion_condition(self, my_task):
        merged = my_task.internal_data.get("merged", [])
        if not merged or self.condition is None:
            return False
        last = next(c for c in my_task.children if str(c.id) == merged[-1])
        counts = self.instance_counts(my_task)
        return bool(my_task.workflow.script_engine.evaluate(last, self.condition, external_context=counts))

    def instance_counts(self, my_task) -> dict:
        instances = list(self._instances(my_task))
        completed = len(my_task.internal_data.get("merged", []))
        active = sum(1 for t in instances if not t.has_state(TaskState.FINISHED_MASK))
        total = self.total_instances(my_task, instances)
        counts = {"numberOfInstances": total, "numberOfCompletedInstances": completed,
                  "numberOfActiveInstances": active}
        counts.update({"nrOf" + key[len("numberOf"):]: value for key, value in counts.items()})
        return counts


class EscrowParallelMultiInstance(_InstanceLocalItem, ParallelMultiInstanceTask):
    def total_instances(self, my_task, instances):
        return len(instances)


class EscrowSequentialMultiInstance(_InstanceLocalItem, SequentialMultiInstanceTask):
    def total_instances(self, my_task, instances):
        if self.data_input is None:
            return my_task.internal_data.get("cardinality", 0)
        return len(instances) + len(my_task.internal_data.get("remaining", []))
