"""The depositor order in the bank core: created once per order, cancelled on rollback."""
from handlers._common import bank_errors, create_once, order_data, require_result, results, undo
from handlers.base import StepCall, StepOutcome
from handlers.registry import handler


@handler("orders.create_depositor_order", undo="orders.cancel_depositor_order")
def create_depositor_order(call: StepCall) -> StepOutcome:
    """Create the depositor order in the core (once per order). Needs client_id and
    escrow_account from earlier steps."""
    data = order_data(call)
    client_id = require_result(call, "client_id")
    account = require_result(call, "escrow_account")
    with bank_errors():
        dep_id = create_once(lambda: call.services.bank.create_depositor_order(
            call.order_id, client_id, account, data.get("amount"),
            dict(data.get("agreement") or {}), idempotency_key=call.idempotency_key))
    return StepOutcome(results={"depositor_order_id": dep_id})


@handler("orders.cancel_depositor_order")
def cancel_depositor_order(call: StepCall) -> StepOutcome:
    """Compensation: cancel the depositor order (kept for audit). Falls back to asking the
    bank if the result was never recorded."""
    bank = call.services.bank
    with bank_errors():
        dep_id = results(call).get("depositor_order_id") or bank.find_depositor_order(call.order_id)
        if not undo(dep_id, lambda d: bank.cancel_depositor_order(d, idempotency_key=call.idempotency_key)):
            return StepOutcome()
    return StepOutcome(results={"depositor_order_cancelled": True})
