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
# While a compensation runs (set by the model: the `status` property of its compensate throw):
ROLLING_BACK = "ROLLING_BACK"    # a step failed for good: what was done is being undone
CANCELLING = "CANCELLING"        # a cancel was accepted: what was done is being undone

ALL = (DRAFT, PROCESSING, BACKOFFICE_REVIEW, AWAITING_SIGNATURE, SIGNED, CANCELLED,
       REJECTED, ROLLED_BACK, INCIDENT, ROLLING_BACK, CANCELLING)
FINAL = frozenset({SIGNED, CANCELLED, REJECTED, ROLLED_BACK})

_ACTIVE = {PROCESSING, BACKOFFICE_REVIEW, AWAITING_SIGNATURE, INCIDENT}
_UNDOING = {ROLLING_BACK, CANCELLING}
ALLOWED = {
    DRAFT: {PROCESSING, CANCELLED, CANCELLING, INCIDENT},
    PROCESSING: _ACTIVE | _UNDOING | {REJECTED, ROLLED_BACK, CANCELLED, SIGNED},
    BACKOFFICE_REVIEW: _ACTIVE | _UNDOING | {REJECTED, ROLLED_BACK, CANCELLED},
    AWAITING_SIGNATURE: _ACTIVE | _UNDOING | {SIGNED, ROLLED_BACK, CANCELLED},
    # An operator's retry takes an incident back to where the process is.
    INCIDENT: _ACTIVE | _UNDOING | {ROLLED_BACK, CANCELLED, REJECTED, SIGNED},
    # Undoing ends in its final status; a handler that fails for good is an incident. A cancel
    # accepted during a rollback leaves the rollback to finish (and the reverse).
    ROLLING_BACK: {ROLLED_BACK, CANCELLING, CANCELLED, INCIDENT},
    CANCELLING: {CANCELLED, ROLLING_BACK, ROLLED_BACK, INCIDENT},
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
