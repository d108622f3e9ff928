"""An account's status and the grounds of a lock: values other capabilities may name.

Kept apart from the tables (``models.py``) so that the wallet's and the credentials' code, and the
simulator, can read and compare an account's status without importing the accounts' models
(decision 0035).
"""

from __future__ import annotations

from enum import StrEnum


class AccountStatus(StrEnum):
    PENDING_ACTIVATION = "pending_activation"  # issued; the holder has not activated it on a phone yet
    ACTIVE = "active"
    LOCKED = "locked"
    CLOSED = "closed"


class LockGround(StrEnum):
    """Why an account is locked (Decree 69/2024 art. 15; research/vneid.md §1.10)."""

    HOLDER = "holder"  # the holder asked, in the app (passcode) or because the phone was lost
    TK03 = "tk03"  # the holder asked in person at the commune police, on form TK03
    BREACH = "breach"  # a breach of the app's terms, decided by the police
    AUTHORITY = "authority"  # a competent authority's request, decided by the head of police
    DEATH = "death"  # the registry records the holder's death
    CARD_INVALID = "card_invalid"  # the holder's ID card was revoked or has expired


__all__ = ["AccountStatus", "LockGround"]
