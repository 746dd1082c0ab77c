"""Order statuses and the one place that says which transitions are allowed."""

DRAFT = "DRAFT"
PROCESSING = "PROCESSING"
BACKOFFICE_REVIEW = "BACKOFFICE_REVIEW"
AWAITING_SIGNATURE = "AWAITING_SIGNATURE"
SIGNED = "SIGNED"
CANCELLED = "CANCELLED"
REJECTED = "REJECTED"
ROLLED_BACK = "ROLLED_BACK"
INCIDENT = "INCIDENT"

ALL = (DRAFT, PROCESSING, BACKOFFICE_REVIEW, AWAITING_SIGNATURE, SIGNED, CANCELLED,
       REJECTED, ROLLED_BACK, INCIDENT)
FINAL = frozenset({SIGNED, CANCELLED, REJECTED, ROLLED_BACK})

_ACTIVE = {PROCESSING, BACKOFFICE_REVIEW, AWAITING_SIGNATURE, INCIDENT}
ALLOWED = {
    DRAFT: {PROCESSING, CANCELLED, INCIDENT},
    PROCESSING: _ACTIVE | {REJECTED, ROLLED_BACK, CANCELLED, SIGNED},
    BACKOFFICE_REVIEW: _ACTIVE | {REJECTED, ROLLED_BACK, CANCELLED},
    AWAITING_SIGNATURE: _ACTIVE | {SIGNED, ROLLED_BACK, CANCELLED},
    # An operator's retry takes an incident back to where the process is.
    INCIDENT: _ACTIVE | {ROLLED_BACK, CANCELLED, REJECTED, SIGNED},
}


class TransitionError(ValueError):
    pass


def is_final(status: str) -> bool:
    return status in FINAL


def check_transition(current: str, new: str) -> None:
    """Raise TransitionError unless `current -> new` is allowed (staying put always is)."""
    if current == new:
        return
    if new not in ALLOWED.get(current, ()):
        raise TransitionError(f"order cannot go from {current} to {new}")
