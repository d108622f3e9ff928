"""How the provider stores what it hands out: SHA-256 of 256-bit random values (codes, tokens, client
secrets, session cookies). They carry full entropy, so a fast hash is enough (unlike passwords)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_value() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def matches(value: str, expected_digest: str | None) -> bool:
    return expected_digest is not None and hmac.compare_digest(digest(value), expected_digest)
