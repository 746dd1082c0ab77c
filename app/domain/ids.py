"""Opaque identifiers: random, URL-safe, with a short type prefix for people reading logs."""
import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"
