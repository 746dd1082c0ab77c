"""Who calls the API: a bearer token (API clients) or the signed-in web session (the pages'
own scripts, which must then send the session's CSRF token in `X-CSRFToken` to change anything)."""
import time
from functools import wraps

from flask import g, request
from flask_login import current_user
from flask_smorest import abort
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from app.domain.caller import ADMIN, ANALYST, BACKOFFICE, MANAGER, ROLES, Caller
from app.store.users import caller_of, user_by_token

__all__ = ["ADMIN", "ANALYST", "BACKOFFICE", "MANAGER", "ROLES", "Caller", "current", "roles"]

CACHE_TTL_S = 5.0  # a revoked token stops working within this time
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_known: dict[str, tuple[float, Caller]] = {}


def _bearer(token: str) -> Caller:
    cached = _known.get(token)
    if cached and time.monotonic() - cached[0] < CACHE_TTL_S:
        return cached[1]
    user = user_by_token(token)
    if user is None:
        abort(401, message="unknown or expired token")
    caller = caller_of(user)
    _known[token] = (time.monotonic(), caller)
    return caller


def _session() -> Caller:
    if request.method not in SAFE_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as error:
            abort(403, message=f"CSRF token missing or invalid: {error}")
    return current_user.caller


def _authenticate() -> Caller:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            abort(401, message="Authorization: Bearer <token> is required")
        return _bearer(token.strip())
    if current_user and current_user.is_authenticated:
        return _session()
    abort(401, message="Authorization: Bearer <token> is required")


def current() -> Caller:
    if "caller" not in g:
        g.caller = _authenticate()
    return g.caller


def roles(*allowed: str):
    """Require an authenticated caller with one of the roles (403 otherwise)."""
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            caller = current()
            if caller.role not in allowed:
                abort(403, message=f"role {caller.role} may not do this")
            return view(*args, **kwargs)
        return wrapper
    return decorate
