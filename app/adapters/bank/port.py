"""The bank core port: what handlers may ask of the bank. Money is integer kopecks.

Every mutating call takes `idempotency_key`: repeating a call with the same key returns the
first result and does nothing again. Creating something that already exists under another
key raises AlreadyExists(existing_id). Errors: app.adapters.bank.errors.
"""
from datetime import date
from typing import Protocol, runtime_checkable


@runtime_checkable
class BankCore(Protocol):
    # --- compliance and clients -------------------------------------------------------
    def check_compliance(self, person: dict) -> dict:
        """{"verdict": "clear"|"refused", "reason": str|None, "check_id": str}"""

    def find_clients_by_document(self, series: str, number: str) -> list[dict]:
        """Active client records holding this passport (0, 1 or several duplicates). Each
        carries `created_for`: the order reference given to create_client, else None."""

    def get_client(self, client_id: str) -> dict:
        """The client record (with `created_for`, `status`); NotFound if unknown."""

    def create_client(self, person: dict, *, idempotency_key: str,
                      order_id: str | None = None) -> str:
        """New client id; AlreadyExists(client_id) if the passport is already a client.
        `order_id` is the caller's reference, kept on the record as `created_for`: which order
        created a client is the bank's answer, whatever the caller remembers."""

    def deactivate_client(self, client_id: str, *, idempotency_key: str) -> str:
        """Undo a creation: "deactivated"; "in_use" (kept active: a live escrow reservation or
        depositor order of some order uses the client); "inactive" (it was not active).
        A client deactivated this way becomes active again when an escrow account is reserved
        for it (an order that chose the client before it was deactivated still relies on it)."""

    def merge_clients(self, client_ids: list[str], *, idempotency_key: str,
                      survivor: str | None = None) -> str:
        """Merge duplicate records into one (default: the first); the surviving client id."""

    # --- escrow accounts --------------------------------------------------------------
    def reserve_escrow_account(self, order_id: str, client_id: str, amount: int,
                               until: date | str, *, idempotency_key: str) -> str:
        """A reserved 20-digit escrow account; AlreadyExists(account) for the same order."""

    def release_escrow_account(self, account: str, *, idempotency_key: str) -> None: ...

    def find_escrow_account(self, order_id: str) -> str | None:
        """The order's reserved (not released) escrow account, if any."""

    def bind_to_developer(self, account: str, developer_account: str, project_id: str, *,
                          idempotency_key: str) -> str:
        """Binding id; AlreadyExists(binding_id) if the account is bound;
        BankRefusal("project_closed") if the project takes no new agreements."""

    def unbind(self, binding_id: str, *, idempotency_key: str) -> None: ...

    def find_binding(self, account: str) -> str | None:
        """The account's active binding id, if any."""

    # --- depositor orders ---------------------------------------------------------------
    def create_depositor_order(self, order_id: str, client_id: str, account: str,
                               amount: int, agreement: dict, *, idempotency_key: str) -> str:
        """Depositor order id; AlreadyExists(id) if the order already has one."""

    def cancel_depositor_order(self, depositor_order_id: str, *,
                               idempotency_key: str) -> None: ...

    def find_depositor_order(self, order_id: str) -> str | None:
        """The order's active (not cancelled) depositor order id, if any."""
