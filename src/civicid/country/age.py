"""Ages and the age groups that decide how a person enrolls.

Decree 69/2024/NĐ-CP Art 7 (e-ID levels) and the Law on Identification 2023 Art 19, 23 (cards): under 6,
level 1 only, registered online by a parent, no biometrics; 6 to under 14, level 2 on request with a
representative; 14 and over, a mandatory card and level 1 or 2 in their own name (DOMAIN.md).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from civicid.country.errors import InvalidDateOfBirth


class AgeGroup(StrEnum):
    UNDER_6 = "under_6"
    FROM_6_TO_13 = "6_to_13"
    FROM_14 = "14_plus"


def age_on(date_of_birth: date, reference: date) -> int:
    """Completed years on ``reference``.

    Someone born on 29 February completes a year on 1 March in common years (the anniversary has not
    come on 28 February). Raises :class:`InvalidDateOfBirth` when born after ``reference``.
    """
    if date_of_birth > reference:
        raise InvalidDateOfBirth(
            f"Date of birth {date_of_birth.isoformat()} is after {reference.isoformat()}",
            date_of_birth=date_of_birth.isoformat(),
        )
    before_birthday = (reference.month, reference.day) < (date_of_birth.month, date_of_birth.day)
    return reference.year - date_of_birth.year - int(before_birthday)


def age_group(date_of_birth: date, reference: date) -> AgeGroup:
    """Under 6; 6 to under 14; 14 and over."""
    age = age_on(date_of_birth, reference)
    if age < 6:
        return AgeGroup.UNDER_6
    if age < 14:
        return AgeGroup.FROM_6_TO_13
    return AgeGroup.FROM_14


def latest_birth_date(reference: date, years: int) -> date:
    """The last date of birth of someone who is at least ``years`` old on ``reference``.

    Lets a database count age groups with a plain date comparison (``date_of_birth <= cutoff``),
    consistent with :func:`age_on`, including for reference dates of 29 February.
    """
    try:
        return reference.replace(year=reference.year - years)
    except ValueError:  # 29 February in a common year: the anniversary has passed on the 28th.
        return reference.replace(year=reference.year - years, day=28)


def birthday(date_of_birth: date, years: int) -> date:
    """The day on which someone reaches ``years`` by :func:`age_on` (1 March for 29 February in common years).

    For dates that follow the age rules, such as a child's card expiring at 14.
    """
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:
        return date(date_of_birth.year + years, 3, 1)
