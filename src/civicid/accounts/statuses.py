"""An account's status, the grounds of a lock, a code's purpose, how an assisted code travels: named by others.

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


class AssistedDelivery(StrEnum):
    SMS = "sms"  # the code went by SMS to the phone the citizen named (their own or a relative's)
    SCREEN = "screen"  # the code was shown on the operator's screen for the citizen to type


class CodePurpose(StrEnum):
    ACTIVATION = "activation"  # the first binding of a device, after issue
    NEW_DEVICE = "new_device"  # moving the account to another phone; unbinds the old one
    LOST_PHONE = "lost_phone"  # locking the account from any browser when the phone is lost
    UNLOCK = "unlock"  # lifting the holder's own lock
    SIGNATURE_ACTIVATION = "signature_activation"  # a signing certificate for the holder (signing/)
