"""Refusals a use case can answer with; the API maps them to HTTP, the pages to messages."""


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, **detail):
        super().__init__(message)
        self.message = message
        self.detail = detail


class NotFound(ServiceError):
    """Does not exist, or the caller may not know that it does."""
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    """The state changed: final, already done, claimed by someone else, lost a race."""
    status = 409


class Invalid(ServiceError):
    """Field-level problems: {field: [message, ...]} (nested for nested fields)."""
    status = 422

    def __init__(self, errors: dict, message: str = "invalid input", **detail):
        super().__init__(message, **detail)
        self.errors = errors


class Throttled(ServiceError):
    status = 429

    def __init__(self, message: str, retry_after_s: int, **detail):
        super().__init__(message, retry_after_s=retry_after_s, **detail)
        self.retry_after_s = retry_after_s


def require_role(caller, roles, doing: str) -> None:
    """Forbidden unless the caller has one of `roles`; `doing` ends "role X may not ..."."""
    if caller.role not in roles:
        raise Forbidden(f"role {caller.role} may not {doing}")
