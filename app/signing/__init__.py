"""Signing orders by SMS code: SigningService over app.store.signing.SigningChallenge."""
from app.signing.codes import document_hash
from app.signing.service import (IssueResult, SigningError, SigningService, SigningSettings,
                                 Throttled, VerifyResult)

__all__ = ["IssueResult", "SigningError", "SigningService", "SigningSettings", "Throttled",
           "VerifyResult", "document_hash"]
