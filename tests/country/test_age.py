"""Ages in completed years and the age groups of enrollment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Date, literal, select

from civicid.core.runtime import Database
from civicid.country.age import AgeGroup, age_group, age_on, birthday, birthday_in_sql
from civicid.country.errors import InvalidDateOfBirth


def test_age_counts_completed_years() -> None:
    assert age_on(date(2000, 6, 15), date(2026, 6, 14)) == 25
    assert age_on(date(2000, 6, 15), date(2026, 6, 15)) == 26


def test_born_on_29_february_ages_on_1_march_in_common_years() -> None:
    assert age_on(date(2012, 2, 29), date(2026, 2, 28)) == 13
    assert age_on(date(2012, 2, 29), date(2026, 3, 1)) == 14
    assert age_on(date(2012, 2, 29), date(2028, 2, 29)) == 16


def test_date_of_birth_must_not_be_after_reference() -> None:
    with pytest.raises(InvalidDateOfBirth):
        age_on(date(2026, 1, 2), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("date_of_birth", "group"),
    [
        (date(2026, 11, 28), AgeGroup.UNDER_6),
        (date(2020, 11, 29), AgeGroup.UNDER_6),
        (date(2020, 11, 28), AgeGroup.FROM_6_TO_13),
        (date(2012, 11, 29), AgeGroup.FROM_6_TO_13),
        (date(2012, 11, 28), AgeGroup.FROM_14),
        (date(1930, 1, 1), AgeGroup.FROM_14),
    ],
)
def test_age_groups_are_under_6_then_6_to_under_14_then_14_and_over(date_of_birth: date, group: AgeGroup) -> None:
    assert age_group(date_of_birth, date(2026, 11, 28)) is group


def test_birthday_is_the_day_age_on_reaches_the_years() -> None:
    for born in (date(2012, 8, 22), date(2020, 2, 29)):
        fourteenth = birthday(born, 14)
        assert age_on(born, fourteenth) == 14
        assert age_on(born, fourteenth - timedelta(days=1)) == 13


def test_born_on_29_february_reaches_an_age_on_1_march_in_common_years() -> None:
    assert birthday(date(2020, 2, 29), 14) == date(2034, 3, 1)
    assert birthday(date(2020, 2, 29), 4) == date(2024, 2, 29)


@pytest.mark.parametrize("years", [1, 4, 6, 14])
def test_the_databases_birthday_is_the_country_profiles(database: Database, years: int) -> None:
    """Birthdays in leap and common years, 29 February into both, on SQLite and PostgreSQL."""
    births = [date(2012, 2, 29), date(2000, 2, 29), date(2012, 2, 28), date(2012, 3, 1), date(2011, 3, 1)]
    with database.engine.connect() as connection:
        built = [birthday_in_sql(literal(born, Date), years, connection.dialect.name) for born in births]
        found = list(connection.execute(select(*built)).one())
    assert found == [birthday(born, years) for born in births]
