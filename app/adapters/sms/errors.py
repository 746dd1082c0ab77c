"""What an SMS gateway raises."""


class SmsError(Exception):
    """Base of SMS gateway errors."""


class SmsTransientError(SmsError):
    """Timeout, connection error, 5xx or 429: worth retrying."""


class SmsRejected(SmsError):
    """The gateway refused the message (4xx: bad number, bad credentials)."""
