"""What a handler receives and returns, and the two kinds of failure it may raise."""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping


class TransientError(Exception):
    """A failure worth retrying (timeout, 5xx, connection refused)."""


class BusinessError(Exception):
    """A business outcome the model handles: thrown as a BPMN error with this code at once."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code
        self.message = message or code


@dataclass(frozen=True)
class Services:
    bank: Any            # app.adapters.bank.port.BankCore
    sms: Any = None      # app.adapters.sms.port.SmsGateway
    signing: Any = None  # app.signing.SigningService (codes, hashes, throttles)


@dataclass(frozen=True)
class StepCall:
    order_id: str
    order: Mapping[str, Any]      # read-only view: company, project, data, results
    params: Mapping[str, Any]     # operator parameters from the model
    idempotency_key: str          # stable across redeliveries and retries of this step
    attempt: int                  # 1 for the first try
    services: Services
    settings: Any
    now: datetime                 # timezone-aware UTC
    step: str | None = None       # the calling task's BPMN element id (logs, metrics)


@dataclass
class StepOutcome:
    results: dict = field(default_factory=dict)    # business facts merged into order.results
    variables: dict = field(default_factory=dict)  # small values the model's gateways read
