"""Bank core: the port handlers call, its errors, and an in-memory simulator."""
from app.adapters.bank.errors import (AlreadyExists, BankError, BankRefusal, NotFound,
                                      TransientBankError)
from app.adapters.bank.port import BankCore

__all__ = ["AlreadyExists", "BankCore", "BankError", "BankRefusal", "NotFound",
           "TransientBankError"]
