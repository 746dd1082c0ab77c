"""The bank core over HTTP: the application's adapter for a bank service (the simulator's
server, app.adapters.bank.server, or a bank gateway speaking the same protocol).

Every method of the BankCore port is a `POST /bank/v1/<method>` (app.adapters.rpc); the
bank's error kinds travel as JSON and come back as the port's exceptions:

| kind | status | exception |
|---|---|---|
| transient | 503 | TransientBankError (also: unreachable, timeout, any 5xx after retries) |
| refusal | 422 | BankRefusal(code, message) |
| not_found | 404 | NotFound |
| already_exists | 409 | AlreadyExists(existing_id) |
"""
from app.adapters import rpc
from app.adapters.bank.errors import (AlreadyExists, BankError, BankRefusal, NotFound,
                                      TransientBankError)
from app.adapters.bank.port import BankCore

PORT_PATH = "/bank/v1"
ADMIN_PATH = "/admin/v1"


def encode_error(error: Exception) -> tuple[int, dict] | None:
    """(status, body) for a bank error; None for anything else (the server answers 500)."""
    message = str(error)
    if isinstance(error, TransientBankError):
        return 503, {"error": "transient", "message": message}
    if isinstance(error, BankRefusal):
        return 422, {"error": "refusal", "code": error.code, "message": error.message}
    if isinstance(error, NotFound):
        return 404, {"error": "not_found", "message": message}
    if isinstance(error, AlreadyExists):
        return 409, {"error": "already_exists", "existing_id": error.existing_id, "message": message}
    return None


def decode_error(status: int | None, body: dict) -> BankError:
    kind, message = body.get("error"), body.get("message", "")
    if status is None or status >= 500 or status == 429 or kind == "transient":
        return TransientBankError(message or f"bank answered {status}")
    if kind == "refusal":
        return BankRefusal(body.get("code") or "refused", message)
    if kind == "not_found":
        return NotFound(message)
    if kind == "already_exists" and body.get("existing_id"):
        return AlreadyExists(body["existing_id"], message)
    # A bad request or an unknown method: a defect on one side, not a business outcome.
    return BankError(f"bank answered {status}: {message}")


class HttpBank(rpc.RpcClient):
    """BankCore over HTTP. Safe to share between threads; retries keep the idempotency key."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0, retries: int = 2, backoff_s: float = 0.2):
        super().__init__(base_url.rstrip("/") + PORT_PATH, BankCore, decode_error,
                         timeout=(3.05, timeout_s), retries=retries, backoff_s=backoff_s)


def simulator_admin(base_url: str) -> rpc.RpcClient:
    """The bank simulator's admin side over HTTP (faults, books): tests and operators only."""
    from app.adapters.bank.admin import SimulatorAdmin
    return rpc.RpcClient(base_url.rstrip("/") + ADMIN_PATH, SimulatorAdmin, decode_error, retries=0)
