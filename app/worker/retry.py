"""Exponential back-off with full jitter, capped."""
import random
from datetime import datetime, timedelta


def next_attempt_at(now: datetime, attempt: int, base_s: float, max_s: float,
                    rng: random.Random = random.Random()) -> datetime:
    """When attempt `attempt + 1` is due, after `attempt` failed tries (attempt >= 1)."""
    ceiling = min(max_s, base_s * (2 ** (attempt - 1)))
    return now + timedelta(seconds=ceiling / 2 + rng.uniform(0, ceiling / 2))
