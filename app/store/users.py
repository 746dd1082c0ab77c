"""People and API clients: look-ups by token or user name, password checks, sign-in throttling.

Passwords are argon2id hashes (argon2-cffi); API tokens are stored as SHA-256 digests (a token
is a long random secret, so a fast hash is enough and keeps every API call cheap).
"""
import hashlib
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain.clock import as_utc
from app.domain.caller import Caller
from app.store.documents import SignInFailures, User

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_hash(password: str) -> str:
    return _hasher.hash(password)


def caller_of(user: User) -> Caller:
    return Caller(id=user.id, name=user.name or user.username, role=user.role, company=user.company)


def user_by_token(token: str) -> User | None:
    return User.objects(token_hash=token_hash(token), active__ne=False).first()


def user_by_id(user_id: str) -> User | None:
    return User.objects(id=user_id, active__ne=False).first()


def check_password(username: str, password: str) -> User | None:
    """The user when the password is right; None otherwise (same work either way)."""
    user = User.objects(username=username, active__ne=False).first()
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash:
        return None
    if _hasher.check_needs_rehash(stored):
        user.update(set__password_hash=_hasher.hash(password))
    return user


class SignInThrottle:
    """After `limit` failures within `window`, a key is locked for `lock` (doubling each time
    the lock is hit again). Kept in the database: every API process shares it."""

    def __init__(self, limit: int = 5, window: timedelta = timedelta(minutes=15),
                 lock: timedelta = timedelta(minutes=1)):
        self.limit, self.window, self.lock = limit, window, lock

    def locked_for(self, keys: list[str], now: datetime) -> int:
        """Seconds until every key may try again (0: now)."""
        waits = [as_utc(d.locked_until) - now for d in SignInFailures.objects(id__in=keys)
                 if d.locked_until and as_utc(d.locked_until) > now]
        return int(max(waits).total_seconds()) + 1 if waits else 0

    def failed(self, keys: list[str], now: datetime) -> None:
        for key in keys:
            doc = SignInFailures.objects(id=key).first()
            if doc is None or doc.first_at is None or as_utc(doc.first_at) < now - self.window:
                doc = SignInFailures(id=key, count=0, first_at=now)
            doc.count += 1
            if doc.count >= self.limit:
                doc.locked_until = now + self.lock * 2 ** min(doc.count - self.limit, 10)
            doc.save()

    def succeeded(self, keys: list[str]) -> None:
        SignInFailures.objects(id__in=keys).delete()
