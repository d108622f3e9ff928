"""The registry's coded values: a village's signal, a person's residence, an ID card's status.

Kept apart from the tables (``models.py``) so that other capabilities may name these values, in the
rows that :mod:`civicid.registry.queries` returns and in the filters they pass, without importing the
registry's models (decision 0035).
"""

from __future__ import annotations

from enum import StrEnum


class SignalQuality(StrEnum):
    NONE = "none"
    WEAK = "weak"
    GOOD = "good"


class ResidenceStatus(StrEnum):
    PRESENT = "present"
    WORKING_AWAY = "working_away"
    MOVED = "moved"
    DECEASED = "deceased"


class CardStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOST = "lost"


__all__ = ["CardStatus", "ResidenceStatus", "SignalQuality"]
