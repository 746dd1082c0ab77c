"""Compliance (115-FZ) screening of the depositor."""
from handlers._common import bank_errors, depositor
from handlers.base import BusinessError, StepCall, StepOutcome
from handlers.registry import handler


@handler("compliance.check_depositor", read_only=True)
def check_depositor(call: StepCall) -> StepOutcome:
    """Screen the depositor (115-FZ lists, passport validity); a hit is business error
    compliance_refused. Changes nothing in the bank."""
    with bank_errors():
        check = call.services.bank.check_compliance(dict(depositor(call)))
    if check["verdict"] == "refused":
        raise BusinessError("compliance_refused", check.get("reason") or "refused")
    return StepOutcome(results={"compliance_verdict": check["verdict"],
                                "compliance_check_id": check.get("check_id")})
