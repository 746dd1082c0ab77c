"""SpiffWorkflow 3.2.0 facade: parse + validate + deploy models, compensation, serialization.

See docs/architecture.md ("Engine facade") for the contract.
"""
from .engine import ParsedModel, ProcessEngine
from .errors import EngineError, ModelError, TaskNotFound, UnhandledBpmnError
from .instance import Instance
from .sandbox import Limits as ScriptLimits
from .types import RetryPolicy, ServiceCall, UserTaskView

__all__ = [
    "ProcessEngine", "ParsedModel", "Instance", "ServiceCall", "UserTaskView", "RetryPolicy",
    "EngineError", "ModelError", "UnhandledBpmnError", "TaskNotFound", "ScriptLimits",
]
