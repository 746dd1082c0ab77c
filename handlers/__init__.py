"""Service-task handlers: one module per bank capability, bound to BPMN service tasks by name."""
