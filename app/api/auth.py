"""Bearer-token authentication and role checks."""
import time
from dataclasses import dataclass
from functools import wraps

from flask import g, request
from flask_smorest import abort

from app.bootstrap import token_hash
from app.store.documents import User

MANAGER, BACKOFFICE, ANALYST, ADMIN = "manager", "backoffice", "analyst", "admin"


@dataclass(frozen=True)
class Caller:
    id: str
    name: str
    role: str
    company: str | None

    def sees_company(self, company: str) -> bool:
        return self.role != MANAGER or self.company == company


CACHE_TTL_S = 5.0  # a revoked token stops working within this time
_known: dict[str, tuple[float, Caller]] = {}


def _authenticate() -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, message="Authorization: Bearer <token> is required")
    digest = token_hash(token.strip())
    cached = _known.get(digest)
    if cached and time.monotonic() - cached[0] < CACHE_TTL_S:
        return cached[1]
    user = User.objects(token_hash=digest).first()
    if user is None:
        abort(401, message="unknown or expired token")
    caller = Caller(id=user.id, name=user.name, role=user.role, company=user.company)
    _known[digest] = (time.monotonic(), caller)
    return caller


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
