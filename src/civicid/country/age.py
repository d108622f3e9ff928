"""Ages and the age groups that decide how a person enrolls.

Decree 69/2024/NĐ-CP Art 7 (e-ID levels) and the Law on Identification 2023 Art 19, 23 (cards): under 6,
level 1 only, registered online by a parent, no biometrics; 6 to under 14, level 2 on request with a
representative; 14 and over, a mandatory card and level 1 or 2 in their own name (DOMAIN.md).

The rule for the day a year is completed, 29 February included, is written here once: in Python
(:func:`age_on`, :func:`birthday`) and as SQL for a database that works ages out itself
(:func:`birthday_in_sql`), checked against each other on both databases by the tests.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, case, cast, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

from civicid.core.dialects import Expression, by_dialect
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


def birthday_in_sql(date_of_birth: Expression, years: int, dialect: str) -> ColumnElement[date]:
    """:func:`birthday` as a SQL expression for ``dialect``: 1 March for 29 February in a common year.

    For set-based work in the database, such as the first day a resident of 14 needs a card
    (campaign's tally). A migration that needs the rule in a trigger renders this expression
    (``compile(dialect=…, compile_kwargs={"literal_binds": True})``) rather than writing it again.
    """
    return _BIRTHDAY_IN_SQL[dialect](date_of_birth, years)


def _birthday_in_postgresql(date_of_birth: Expression, years: int) -> ColumnElement[Any]:
    # An interval of years stops at 28 February when the year has no 29th: the birthday is the day after.
    plain = cast(date_of_birth + literal_column(f"interval '{int(years)} years'"), Date)
    moved = func.to_char(plain, "MM-DD") != func.to_char(date_of_birth, "MM-DD")
    return case((moved, plain + literal_column("1")), else_=plain)


def _birthday_in_sqlite(date_of_birth: Expression, years: int) -> ColumnElement[Any]:
    # SQLite's date arithmetic carries 29 February over to 1 March in a common year, as the rule does.
    return func.date(date_of_birth, f"+{int(years)} years", type_=Date)


_BIRTHDAY_IN_SQL = by_dialect(postgresql=_birthday_in_postgresql, sqlite=_birthday_in_sqlite)
