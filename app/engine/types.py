"""Plain values the facade hands to the worker and the API."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_s: float = 1.0


@dataclass(frozen=True)
class ServiceCall:
    task_id: str            # uuid of the STARTED service task
    step: str               # BPMN element id
    label: str | None       # element name
    handler: str            # spiffworkflow:serviceTaskOperator id
    params: dict            # operator parameters evaluated to plain values
    retry: RetryPolicy
    compensates: str | None = None   # element id of the activity this handler compensates
    failed: bool = False    # only for compensation handlers marked failed (see Instance.mark_compensation_failed)
    instance: str | None = None   # which multi-instance instance(s) the call belongs to, e.g. "2" or
                                  # "0/1" when nested; None outside multi-instance activities


@dataclass(frozen=True)
class UserTaskView:
    task_id: str
    step: str
    label: str | None
    lane: str | None
    form: str | None        # formJsonSchemaFilename extension property
    properties: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    process: str | None = None  # id of the BPMN process the task belongs to (call activities!)
