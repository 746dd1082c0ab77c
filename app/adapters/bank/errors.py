"""What the bank core raises. Handlers map these onto handlers.base errors."""


class BankError(Exception):
    """Base of every bank core error."""


class TransientBankError(BankError):
    """Timeout, 5xx, connection refused: worth retrying with the same idempotency key."""


class BankRefusal(BankError):
    """A business refusal (e.g. "project_closed"): retrying will not help."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message or code


class AlreadyExists(BankError):
    """The thing being created already exists (created under another idempotency key)."""

    def __init__(self, existing_id: str, message: str = ""):
        super().__init__(message or f"already exists: {existing_id}")
        self.existing_id = existing_id


class NotFound(BankError):
    """The referenced client, account, binding or order is unknown to the bank."""
