"""Who a level-2 campaign must reach, village by village, from the registry and the age rules.

Residents count whether present or working away (they are still the commune's to reach); people
who moved or died do not. Age groups follow ``country/age.py``: 14 and over must hold level 2,
6 to under 14 on request, under 6 a card through a parent (DOMAIN.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from civicid.country.age import latest_birth_date
from civicid.registry.models import Person, ResidenceStatus, Village

RESIDENT = (ResidenceStatus.PRESENT, ResidenceStatus.WORKING_AWAY)


@dataclass(frozen=True)
class EligibleCounts:
    adults: int  # 14 and over
    age_6_14: int  # 6 to under 14
    under_6: int


def eligible_by_village(*, session: Session, commune_code: str, reference_date: dt.date) -> dict[int, EligibleCounts]:
    """Every village of the commune (zeros included) with its residents in each age group on ``reference_date``."""
    born_6 = latest_birth_date(reference_date, 6)
    born_14 = latest_birth_date(reference_date, 14)
    adults = func.sum(case((Person.date_of_birth <= born_14, 1), else_=0))
    middle = func.sum(case(((Person.date_of_birth > born_14) & (Person.date_of_birth <= born_6), 1), else_=0))
    young = func.sum(case((Person.date_of_birth > born_6, 1), else_=0))
    rows = session.execute(
        select(Person.village_id, adults, middle, young)
        .join(Village, Village.id == Person.village_id)
        .where(Village.commune_code == commune_code, Person.residence_status.in_(RESIDENT))
        .group_by(Person.village_id)
    ).all()
    counts = {
        v: EligibleCounts(0, 0, 0)
        for v in session.scalars(select(Village.id).where(Village.commune_code == commune_code))
    }
    for village_id, a, m, y in rows:
        counts[village_id] = EligibleCounts(int(a or 0), int(m or 0), int(y or 0))
    return counts
