"""Dev SMS outbox: keeps sent messages in memory so the embedded app can show them.
Fault injection: operation "signing.send_code" (its only caller's handler name)."""
import itertools
import threading
from collections import deque

from app.adapters.faults import FaultInjector, InjectedFault
from app.adapters.sms.errors import SmsTransientError
from app.domain.clock import utcnow

OPERATION = "signing.send_code"


class DevOutbox:
    def __init__(self, clock=utcnow, faults: FaultInjector | None = None,
                 max_messages: int = 1000):
        self._lock = threading.Lock()
        self._clock = clock
        self._faults = faults or FaultInjector()
        self._messages: deque[dict] = deque(maxlen=max_messages)
        self._ids = itertools.count(1)

    def send(self, phone: str, text: str, *, order_id: str | None = None) -> str:
        try:
            self._faults.check(OPERATION)
        except InjectedFault as exc:
            raise SmsTransientError(str(exc)) from exc
        with self._lock:
            message_id = f"sms-{next(self._ids)}"
            self._messages.append({"id": message_id, "phone": phone, "text": text,
                                   "sent_at": self._clock(), "order_id": order_id})
        return message_id

    def list(self, order_id: str | None = None) -> list[dict]:
        """Sent messages, newest first; only one order's when `order_id` is given.
        Each: {"id", "phone", "text", "sent_at" (aware UTC datetime), "order_id"}."""
        with self._lock:
            return [dict(m) for m in reversed(self._messages)
                    if order_id is None or m["order_id"] == order_id]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
