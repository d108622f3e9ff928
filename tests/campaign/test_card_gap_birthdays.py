"""The 14th birthday the database works out is the country profile's, 29 February included.

Migration 0006's triggers keep ``campaign_card_gap`` with SQL written into that migration, which
cannot be generated again from ``country/age.py`` (decision 0036); the tally's rebuild builds its SQL
from the country profile. Both must block a resident without a card from ``country.age.birthday``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from tests.factories import MakePerson

from civicid.campaign import tally
from civicid.campaign.models import CardGap
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.age import birthday

BIRTHS = (
    dt.date(2012, 2, 29),  # a leap year's 29 February; 14 in 2026, a common year
    dt.date(2000, 2, 29),  # a century's leap year; 14 in 2014
    dt.date(2012, 2, 28),  # either side of it
    dt.date(2012, 3, 1),
    dt.date(2011, 2, 28),  # either side of 1 March in a common year
    dt.date(2011, 3, 1),
    dt.date(2014, 2, 28),  # 14 in 2028, a leap year
    dt.date(2014, 3, 1),
    dt.date(2010, 12, 31),
    dt.date(2011, 1, 1),
)


def register(make_person: MakePerson) -> dict[int, dt.date]:
    """Residents without a card, one per date of birth: by person id, their 14th birthday."""
    return {make_person(born=born).id: birthday(born, 14) for born in BIRTHS}


def blocked_from(context: Context) -> dict[int, dt.date]:
    with unit_of_work(context.database.sessions) as session:
        return {person_id: day for person_id, day in session.execute(select(CardGap.person_id, CardGap.blocked_from))}


def test_the_triggers_block_a_resident_without_a_card_from_the_country_profiles_14th_birthday(
    context: Context, make_person: MakePerson
) -> None:
    expected = register(make_person)
    assert blocked_from(context) == expected


def test_the_rebuild_blocks_them_from_the_same_day(context: Context, make_person: MakePerson) -> None:
    expected = register(make_person)
    with unit_of_work(context.database.sessions) as session:
        session.execute(CardGap.__table__.delete())
        tally.rebuild_card_gaps(session=session)
    assert blocked_from(context) == expected
