"""Escrow accounts: reserve and release, bind to and unbind from the developer's project."""
from handlers._common import bank_errors, create_once, order_data, require_result, results, undo
from handlers.base import StepCall, StepOutcome
from handlers.registry import handler


@handler("escrow.reserve_account", undo="escrow.release_account")
def reserve_account(call: StepCall) -> StepOutcome:
    """Reserve an escrow account for the depositor (needs client_id)."""
    data = order_data(call)
    client_id = require_result(call, "client_id")
    with bank_errors():
        account = create_once(lambda: call.services.bank.reserve_escrow_account(
            call.order_id, client_id, data.get("amount"), data.get("escrow_until"),
            idempotency_key=call.idempotency_key))
    return StepOutcome(results={"escrow_account": account})


@handler("escrow.release_account")
def release_account(call: StepCall) -> StepOutcome:
    """Compensation: release the escrow account reservation. Falls back to asking the bank
    if the result was never recorded."""
    bank = call.services.bank
    with bank_errors():
        account = results(call).get("escrow_account") or bank.find_escrow_account(call.order_id)
        if not undo(account, lambda a: bank.release_escrow_account(a, idempotency_key=call.idempotency_key)):
            return StepOutcome()
    return StepOutcome(results={"escrow_released": True})


@handler("escrow.bind_to_developer", undo="escrow.unbind_from_developer")
def bind_to_developer(call: StepCall) -> StepOutcome:
    """Bind the escrow account to the developer's account and project (needs escrow_account)."""
    account = require_result(call, "escrow_account")
    project = call.order.get("project") or {}
    with bank_errors():
        binding_id = create_once(lambda: call.services.bank.bind_to_developer(
            account, project.get("developer_account"), project.get("id"),
            idempotency_key=call.idempotency_key))
    return StepOutcome(results={"binding_id": binding_id})


@handler("escrow.unbind_from_developer")
def unbind_from_developer(call: StepCall) -> StepOutcome:
    """Compensation: remove the binding to the developer's account and project. Falls back
    to asking the bank if the result was never recorded."""
    bank = call.services.bank
    with bank_errors():
        binding_id = results(call).get("binding_id")
        account = results(call).get("escrow_account") or bank.find_escrow_account(call.order_id)
        if not binding_id and account:
            binding_id = bank.find_binding(account)
        if not undo(binding_id, lambda b: bank.unbind(b, idempotency_key=call.idempotency_key)):
            return StepOutcome()
    return StepOutcome(results={"binding_unbound": True})
