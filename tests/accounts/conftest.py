"""A household to put people in, for the accounts' tests."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.factories import COMMUNE, OFFICER, MakePerson, person_in

from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.registry import service
from civicid.registry.models import SignalQuality
from civicid.registry.schemas import HouseholdIn, PersonRead, VillageIn


@pytest.fixture
def household_id(context: Context) -> int:
    with unit_of_work(context.database.sessions) as session:
        service.add_commune(session=session, code=COMMUNE)
        village = service.create_village(
            session=session,
            village_in=VillageIn(commune_code=COMMUNE, name="Thôn Nà Pục", distance_km=12.5, signal=SignalQuality.WEAK),
        )
        household = service.create_household(
            session=session, household_in=HouseholdIn(village_id=village.id, number="001", address="Thôn Nà Pục")
        )
    return household.id


@pytest.fixture
def make_person(context: Context, household_id: int) -> MakePerson:
    def make(full_name: str = "Hoàng Văn Sử", born: dt.date = dt.date(1980, 3, 2), **extra: object) -> PersonRead:
        with unit_of_work(context.database.sessions) as session:
            return service.create_person(
                session=session,
                clock=context.clock,
                actor=OFFICER,
                person_in=person_in(household_id, full_name, born, Sex.MALE, **extra),
            )

    return make
