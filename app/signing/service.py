"""Signing by SMS code (simple electronic signature): issue, verify, resend, expire, revoke.

The code itself is never stored or logged: only its salted hash. Every state change is a
conditional single-document update, so concurrent guesses cannot exceed the attempt limit.
`now` is always passed in (timezone-aware UTC).
"""
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.clock import as_utc, iso
from app.signing import codes
from app.store import signing as store
from app.store.signing import ACTIVE, CONFIRMED, DEAD, EXPIRED, REVOKED

DAY = timedelta(days=1)


@dataclass(frozen=True)
class SigningSettings:
    ttl_s: int = 300
    max_attempts: int = 3
    resend_interval_s: int = 60
    daily_cap: int = 5                 # codes sent per order in any 24 hours
    hash_iterations: int = 100_000
    pepper: str = ""

    @classmethod
    def from_settings(cls, s, **overrides) -> "SigningSettings":
        """From app.config.Settings (code_ttl_s, code_max_attempts, ...)."""
        return cls(ttl_s=s.code_ttl_s, max_attempts=s.code_max_attempts,
                   resend_interval_s=s.code_resend_s, daily_cap=s.code_daily_cap,
                   hash_iterations=s.code_hash_iterations, pepper=s.code_pepper, **overrides)


@dataclass(frozen=True)
class IssueResult:
    sent_at: datetime
    expires_at: datetime
    sent: bool            # False: a replay of an earlier send with the same key (no SMS)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    attempts_left: int
    reason: str           # ok | wrong_code | expired | no_attempts_left | no_code


class SigningError(Exception):
    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or reason)
        self.reason = reason


class Throttled(SigningError):
    """A new code may not be sent yet (reason: resend_interval | daily_cap | resend_pending)."""

    def __init__(self, retry_after_s: int, reason: str):
        super().__init__(reason, f"new code not allowed ({reason}); retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


class SigningService:
    def __init__(self, sms, settings: SigningSettings = SigningSettings()):
        self.sms = sms
        self.settings = settings

    def _matches(self, doc, code) -> bool:
        return codes.code_matches(code, doc.code_salt, doc.code_hash,
                                  self.settings.hash_iterations, self.settings.pepper)

    # --- sending ----------------------------------------------------------------------------

    def issue_code(self, order_id: str, phone: str, document_hash: str, now: datetime,
                   idempotency_key: str) -> IssueResult:
        """Send a fresh code by SMS and keep its hash. The same key never sends twice.
        SMS errors propagate (nothing is recorded, so a retry sends again)."""
        doc = store.load(order_id)
        if doc and (idempotency_key in doc.issued_keys or doc.status == CONFIRMED):
            return IssueResult(as_utc(doc.last_sent_at), as_utc(doc.expires_at), sent=False)
        code, salt = codes.new_code(), codes.new_salt()
        code_hash = codes.hash_code(code, salt, self.settings.hash_iterations,
                                    self.settings.pepper)
        text = (f"Escrow order {order_id[-8:]}: your signing code is {code}. "
                f"Valid {max(1, self.settings.ttl_s // 60)} min. Do not share it.")
        self.sms.send(phone, text, order_id=order_id)
        expires_at = now + timedelta(seconds=self.settings.ttl_s)
        store.update_where(
            order_id, {}, upsert=True,
            set__phone=phone, set__document_hash=document_hash, set__code_hash=code_hash,
            set__code_salt=salt, set__expires_at=expires_at,
            set__attempts_left=self.settings.max_attempts, set__status=ACTIVE,
            set__last_sent_at=now, set__resend_requested_at=None, push__sent_at=now,
            push__issued_keys=idempotency_key, inc__code_no=1, inc__version=1)
        return IssueResult(now, expires_at, sent=True)

    def request_new_code(self, order_id: str, now: datetime) -> None:
        """Allow one more send (the process then re-runs send_code) or raise Throttled."""
        doc = store.load(order_id)
        s = self.settings
        pending = as_utc(doc.resend_requested_at) if doc else None
        if pending and now < pending + timedelta(seconds=s.resend_interval_s):
            raise Throttled(_seconds(pending + timedelta(seconds=s.resend_interval_s) - now),
                            "resend_pending")
        if not doc or not doc.code_no:
            # No challenge on record (e.g. the database was rebuilt from the context topic,
            # which never holds codes): allow a first send.
            store.update_where(order_id, {}, upsert=True, set__resend_requested_at=now, inc__version=1)
            return
        if doc.status in (CONFIRMED, REVOKED):
            raise SigningError("not_active", f"signing is {doc.status}")
        next_at = as_utc(doc.last_sent_at) + timedelta(seconds=s.resend_interval_s)
        if now < next_at:
            raise Throttled(_seconds(next_at - now), "resend_interval")
        today = sorted(t for t in map(as_utc, doc.sent_at) if t > now - DAY)
        if len(today) >= s.daily_cap:
            raise Throttled(_seconds(today[0] + DAY - now), "daily_cap")
        if not store.update_where(order_id, {"version": doc.version},
                                  set__resend_requested_at=now, inc__version=1):
            raise Throttled(s.resend_interval_s, "resend_pending")  # a concurrent request won

    # --- verifying --------------------------------------------------------------------------

    def verify(self, order_id: str, code, now: datetime) -> VerifyResult:
        doc = store.load(order_id)
        if not doc or not doc.code_no or doc.status == REVOKED:
            return VerifyResult(False, 0, "no_code")
        if doc.status == CONFIRMED:  # a repeated submission of the code already confirmed
            ok = self._matches(doc, code)
            return VerifyResult(ok, doc.attempts_left, "ok" if ok else "no_code")
        if doc.status == ACTIVE and now >= as_utc(doc.expires_at):
            store.update_where(order_id, {"status": ACTIVE, "code_no": doc.code_no},
                               set__status=EXPIRED)
            return VerifyResult(False, doc.attempts_left, "expired")
        # Spend one attempt first, atomically; only then compare.
        spent = store.update_where(
            order_id, {"status": ACTIVE, "code_no": doc.code_no, "attempts_left__gt": 0},
            dec__attempts_left=1)
        if not spent:  # the attempts went to concurrent submissions: see how they ended
            return self._not_verifiable(self._settled(order_id, doc.code_no), code)
        left = store.load(order_id).attempts_left
        if not self._matches(doc, code):
            if left <= 0:
                store.update_where(order_id, {"status": ACTIVE, "code_no": doc.code_no},
                                   set__status=DEAD)
            return VerifyResult(False, max(left, 0), "wrong_code")
        evidence = {"phone": doc.phone, "sent_at": iso(doc.last_sent_at), "entered_at": iso(now),
                    "document_hash": doc.document_hash, "code_no": doc.code_no}
        if not store.update_where(order_id, {"status": ACTIVE, "code_no": doc.code_no},
                                  set__status=CONFIRMED, set__confirmed_at=now,
                                  set__evidence=evidence):
            return self._not_verifiable(store.load(order_id), code)
        return VerifyResult(True, left, "ok")

    @staticmethod
    def _settled(order_id: str, code_no: int, wait_s: float = 2.0):
        """The challenge once the submissions that spent its last attempts have been judged
        (each does so within a hash's time): confirmed, dead, or still open."""
        deadline = time.monotonic() + wait_s
        while True:
            doc = store.load(order_id)
            if doc is None or doc.status != ACTIVE or doc.code_no != code_no or doc.attempts_left > 0 \
                    or time.monotonic() > deadline:
                return doc
            time.sleep(0.005)

    def _not_verifiable(self, doc, code) -> VerifyResult:
        if doc is not None and doc.status == CONFIRMED and self._matches(doc, code):
            return VerifyResult(True, doc.attempts_left, "ok")  # the same right code, again
        if doc is None or doc.status in (REVOKED, CONFIRMED):
            return VerifyResult(False, 0, "no_code")
        if doc.status == EXPIRED:
            return VerifyResult(False, doc.attempts_left, "expired")
        if doc.status == DEAD or doc.attempts_left <= 0:
            return VerifyResult(False, 0, "no_attempts_left")
        return VerifyResult(False, doc.attempts_left, "wrong_code")  # a new code replaced it

    # --- ending -----------------------------------------------------------------------------

    def expire(self, order_id: str, now: datetime | None = None) -> bool:
        """Mark the active code expired (the process's timer decides when); True if it was."""
        return store.update_where(order_id, {"status": ACTIVE}, set__status=EXPIRED)

    def revoke(self, order_id: str, now: datetime | None = None) -> bool:
        """Invalidate the code (cancel, rollback); evidence of a confirmation is kept."""
        return store.update_where(order_id, {"status__ne": REVOKED}, set__status=REVOKED,
                                  set__revoked_at=now)

    # --- reading ------------------------------------------------------------------------------

    def state(self, order_id: str, now: datetime) -> dict | None:
        """What the API may show: never the code hash or salt."""
        doc = store.load(order_id)
        if not doc:
            return None
        s = self.settings
        sent = [as_utc(t) for t in doc.sent_at]
        today = sorted(t for t in sent if t > now - DAY)
        resend_at = as_utc(doc.last_sent_at) + timedelta(seconds=s.resend_interval_s) \
            if doc.last_sent_at else None
        if len(today) >= s.daily_cap:
            resend_at = max(resend_at, today[0] + DAY)
        return {
            "status": doc.status, "phone": mask_phone(doc.phone),
            "expires_at": iso(doc.expires_at), "attempts_left": doc.attempts_left,
            "sent_at": [iso(t) for t in sent], "resend_available_at": iso(resend_at),
            "codes_left_today": max(s.daily_cap - len(today), 0),
            "document_hash": doc.document_hash, "confirmed_at": iso(doc.confirmed_at),
            "evidence": dict(doc.evidence or {}),
        }


def mask_phone(phone: str | None) -> str | None:
    return phone[:4] + "*" * max(len(phone) - 6, 0) + phone[-2:] if phone else phone
