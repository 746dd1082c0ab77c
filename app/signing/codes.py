"""Codes and hashes: generation, salted slow hashing, constant-time comparison."""
import hashlib
import hmac
import secrets

from app.domain.plain import canonical_hash

CODE_DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def hash_code(code: str, salt_hex: str, iterations: int, pepper: str = "") -> str:
    """pbkdf2-sha256 with a per-code salt and an optional server-side pepper (kept out of
    the database, so a database copy alone does not allow brute-forcing the 10^6 codes)."""
    return hashlib.pbkdf2_hmac("sha256", (pepper + str(code)).encode(), bytes.fromhex(salt_hex),
                               iterations).hex()


def code_matches(code, salt_hex: str, expected_hex: str, iterations: int, pepper: str = "") -> bool:
    return hmac.compare_digest(hash_code(str(code), salt_hex, iterations, pepper), expected_hex)


def document_hash(data) -> str:
    """sha256 of the canonical JSON of the order data being signed."""
    return canonical_hash(data)
