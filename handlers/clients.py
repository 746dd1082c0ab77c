"""Client records in the bank core: find, create (and undo), merge duplicates."""
from app.adapters.bank.errors import AlreadyExists, NotFound
from handlers._common import bank_errors, depositor, results
from handlers.base import BusinessError, StepCall, StepOutcome
from handlers.registry import handler

CANDIDATE_FIELDS = ("client_id", "last_name", "first_name", "middle_name", "birth_date",
                    "passport")


def _passport(call: StepCall) -> dict:
    return depositor(call).get("passport") or {}


@handler("clients.find_by_document", read_only=True)
def find_by_document(call: StepCall) -> StepOutcome:
    """Look the depositor up by the ID document; sets client_match (none / one / many) and,
    with many, the candidates for the back office. A client this very order created is not a
    match: a run that died after creating it, before recording it, may repeat this lookup, and
    the create step then replays its idempotency key and gets that client back as created."""
    with bank_errors():
        found = [c for c in _clients_of(call) if c.get("created_for") != call.order_id]
    if not found:
        return StepOutcome(variables={"client_match": "none"})
    if len(found) == 1:
        return StepOutcome(results={"client_id": found[0]["client_id"], "client_created": False},
                           variables={"client_match": "one"})
    candidates = [{f: c.get(f) for f in CANDIDATE_FIELDS} for c in found]
    return StepOutcome(results={"candidates": candidates}, variables={"client_match": "many"})


def _clients_of(call: StepCall) -> list[dict]:
    passport = _passport(call)
    return call.services.bank.find_clients_by_document(passport.get("series"), passport.get("number"))


@handler("clients.create_depositor", undo="clients.deactivate_depositor")
def create_depositor(call: StepCall) -> StepOutcome:
    """Create the depositor as a bank client (an existing one is looked up, never doubled).
    Whether this order created the client is the bank's answer: the same key replays the
    creation; a client that exists already counts as created only if the bank made it for
    this order."""
    bank = call.services.bank
    with bank_errors():
        try:
            client_id = bank.create_client(dict(depositor(call)), order_id=call.order_id,
                                           idempotency_key=call.idempotency_key)
            created = True
        except AlreadyExists as exc:
            client = bank.get_client(exc.existing_id)
            client_id, created = client["client_id"], client.get("created_for") == call.order_id
    return StepOutcome(results={"client_id": client_id, "client_created": created})


@handler("clients.deactivate_depositor")
def deactivate_depositor(call: StepCall) -> StepOutcome:
    """Compensation: deactivate the client if the bank created it for this order (asked of the
    bank, not of the order's results, which a crash may have left without it). The bank keeps
    a client that another order's live account or depositor order uses."""
    bank = call.services.bank
    with bank_errors():
        client = _created_for_this_order(call)
        if client is None:
            return StepOutcome()
        outcome = bank.deactivate_client(client["client_id"], idempotency_key=call.idempotency_key)
    if outcome == "in_use":
        return StepOutcome(results={"client_kept": "in use by another order"})
    return StepOutcome(results={"client_deactivated": True})


def _created_for_this_order(call: StepCall) -> dict | None:
    client_id = results(call).get("client_id")
    if client_id:
        try:
            client = call.services.bank.get_client(client_id)
        except NotFound:
            return None  # nothing (left) to undo
        return client if client.get("created_for") == call.order_id else None
    return next((c for c in _clients_of(call) if c.get("created_for") == call.order_id), None)


@handler("clients.merge_records", params={
    "survivor": "the client id the records are merged into (default: the first candidate)",
    "client_ids": "the records to merge (default: the order's candidates)"})
def merge_records(call: StepCall) -> StepOutcome:
    """Back office: merge duplicate records (params `client_ids` or the order's candidates)
    into the survivor (params `survivor`, result `survivor_client_id`, else the first)."""
    ids = list(call.params.get("client_ids") or
               [c["client_id"] for c in results(call).get("candidates") or []])
    survivor = call.params.get("survivor") or results(call).get("survivor_client_id")
    if survivor and survivor not in ids:
        ids.insert(0, survivor)
    if len(set(ids)) < 2:
        raise BusinessError("precondition_failed", "merging needs at least two client records")
    with bank_errors():
        client_id = call.services.bank.merge_clients(ids, survivor=survivor,
                                                     idempotency_key=call.idempotency_key)
    return StepOutcome(results={"client_id": client_id, "client_created": False,
                                "merged_client_ids": [c for c in ids if c != client_id]},
                       variables={"client_match": "one"})
