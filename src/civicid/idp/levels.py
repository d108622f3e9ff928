"""Levels of assurance as OpenID Connect ``acr`` values, and how a sign-in was made as RFC 8176 ``amr`` values.

One URI per level (decision 0045):

- ``urn:civicid:loa:1`` — the ID number and the password: one factor, any active account.
- ``urn:civicid:loa:2`` — the password and a one-time code sent by SMS to the phone number an officer
  checked at enrollment, or a proof from the phone the account is bound to (its device key, ``hwk``):
  two factors, on a level-2 account only. A level-1 account reaches level 1 at most.

``acr_values`` asks for a minimum: a session below it is stepped up (the SMS code) when the account can
reach the level; when it cannot, the ID token says the level reached and the service decides (``acr`` is
a voluntary claim, OpenID Connect Core §3.1.2.1 and §5.5.1.1).
"""

from __future__ import annotations

LOA_PREFIX = "urn:civicid:loa:"
LEVELS = (1, 2)
ACR_VALUES = tuple(f"{LOA_PREFIX}{level}" for level in LEVELS)

# RFC 8176 §2: the methods used.
AMR_PASSWORD = "pwd"  # noqa: S105 - the method's name, not a password
AMR_SMS = "sms"
AMR_OTP = "otp"
AMR_HARDWARE_KEY = "hwk"
AMR_MULTI_FACTOR = "mfa"

PASSWORD_ONLY = [AMR_PASSWORD]
PASSWORD_AND_SMS = [AMR_MULTI_FACTOR, AMR_OTP, AMR_PASSWORD, AMR_SMS]
PASSWORD_AND_DEVICE = [AMR_HARDWARE_KEY, AMR_MULTI_FACTOR, AMR_PASSWORD]


def acr_of(level: int) -> str:
    """The ``acr`` URI of a level."""
    return f"{LOA_PREFIX}{level}"


def level_of(acr: str) -> int | None:
    """The level an ``acr`` URI names, or None for a URI this provider does not know."""
    if not acr.startswith(LOA_PREFIX):
        return None
    tail = acr[len(LOA_PREFIX) :]
    return int(tail) if tail.isdigit() and int(tail) in LEVELS else None


def requested_level(acr_values: str | None) -> int:
    """The level ``acr_values`` asks for: the lowest known value listed (the service accepts any of them), else 1."""
    known = [lvl for value in (acr_values or "").split() if (lvl := level_of(value)) is not None]
    return min(known) if known else 1
