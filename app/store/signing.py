"""The signing challenge: one document per order (the code's salted hash, never the code).

Writes are conditional single-document updates. On the embedded default they also take the
store's lock (`connection.atomic`), because mongomock does not apply updates atomically across
threads (and its reads take it too); on real MongoDB the conditions alone are enough.
"""
from mongoengine import DateTimeField, DictField, Document, IntField, ListField, StringField
from mongoengine.queryset import transform

from app.store.connection import atomic

ACTIVE, EXPIRED, DEAD, CONFIRMED, REVOKED = "active", "expired", "dead", "confirmed", "revoked"


class SigningChallenge(Document):
    meta = {"collection": "signing_challenges", "strict": False}
    order_id = StringField(primary_key=True)
    phone = StringField()
    document_hash = StringField()          # sha256 of the canonical JSON of the signed data
    code_hash = StringField()              # pbkdf2-sha256 of the current code, hex
    code_salt = StringField()              # per-code random salt, hex
    code_no = IntField(default=0)          # which code this is (1 = first sent)
    expires_at = DateTimeField()
    attempts_left = IntField(default=0)
    sent_at = ListField(DateTimeField())   # every send, oldest first (daily cap, evidence)
    last_sent_at = DateTimeField()
    resend_requested_at = DateTimeField()  # set by a granted request, cleared by the next send
    issued_keys = ListField(StringField()) # idempotency keys of sends already done
    status = StringField(default=ACTIVE)   # active | expired | dead | confirmed | revoked
    confirmed_at = DateTimeField()
    revoked_at = DateTimeField()
    evidence = DictField()                 # phone, sent_at, entered_at, document_hash, code_no
    version = IntField(default=0)          # optimistic concurrency of issue / resend requests


def load(order_id: str) -> SigningChallenge | None:
    raw = SigningChallenge._get_collection().find_one({"_id": order_id})
    return SigningChallenge._from_son(raw) if raw is not None else None


def update_where(order_id: str, conditions: dict, upsert: bool = False, **changes) -> bool:
    """Apply mongoengine update `changes` (`set__x=...`, `inc__n=1`) if the document matches
    `conditions` (`status=...`, `version__ne=...`); True if it matched or was inserted.
    mongoengine translates both; the write is one update by id (no queryset built for it)."""
    query = transform.query(SigningChallenge, pk=order_id, **conditions)
    update = transform.update(SigningChallenge, **changes)
    with atomic():
        result = SigningChallenge._get_collection().update_one(query, update, upsert=upsert)
    return result.raw_result.get("n") == 1
