"""The SMS gateway port. Implementations must never log the message text (it holds codes)."""
from typing import Protocol, runtime_checkable


@runtime_checkable
class SmsGateway(Protocol):
    def send(self, phone: str, text: str, *, order_id: str | None = None) -> str:
        """Send `text` to `phone` (+7XXXXXXXXXX); the gateway's message id.
        `order_id` is a reference for tracing. Raises SmsTransientError / SmsRejected."""
