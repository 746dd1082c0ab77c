"""SMS gateway: the port, an HTTP implementation (production), a dev outbox (embedded)."""
from app.adapters.sms.errors import SmsError, SmsRejected, SmsTransientError
from app.adapters.sms.port import SmsGateway

__all__ = ["SmsError", "SmsGateway", "SmsRejected", "SmsTransientError"]
