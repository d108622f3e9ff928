"""Sex as the ID number, the card and the MRZ record it."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    """The values are ICAO 9303's MRZ letters (9303-4 §4.2.2), also used in JSON."""

    MALE = "M"
    FEMALE = "F"
