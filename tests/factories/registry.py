"""Communes, villages, households and people, registered through the registry's service or the simulator."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from sqlalchemy import select

from civicid.core.audit import SYSTEM
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.age import latest_birth_date
from civicid.country.id_number import make_id_number
from civicid.country.sex import Sex
from civicid.registry import service as registry
from civicid.registry.bulk import load_population
from civicid.registry.models import Person, ResidenceStatus, SignalQuality
from civicid.registry.schemas import HouseholdIn, HouseholdRead, PersonIn, PersonRead, VillageIn, VillageRead
from civicid.sim.demo import build_demo
from civicid.sim.population import generate_commune

from .actors import ADMIN, OFFICER

COMMUNE = "01879"  # Xã Cao Minh, Thái Nguyên (2025 list)

_serials = itertools.count(1)
MakePerson = Callable[..., PersonRead]
PeopleOf = Callable[[str, int], list[PersonRead]]


def person_in(household_id: int, full_name: str, born: dt.date, sex: Sex = Sex.MALE, **extra: object) -> PersonIn:
    """A person whose ID number follows the rules for their birth date and sex."""
    number = make_id_number(province_code="019", date_of_birth=born, sex=sex, serial=next(_serials))
    return PersonIn(
        id_number=number, full_name=full_name, date_of_birth=born, sex=sex, household_id=household_id, **extra
    )


def served_commune(context: Context, code: str = COMMUNE) -> None:
    """The registry starts serving a commune of the national list."""
    with unit_of_work(context.database.sessions) as session:
        registry.add_commune(session=session, code=code)


def registered_village(
    context: Context,
    name: str = "Thôn Nà Pục",
    *,
    commune_code: str = COMMUNE,
    distance_km: float = 12.5,
    signal: SignalQuality = SignalQuality.WEAK,
) -> VillageRead:
    """A village of the commune; the commune is served from its first village on."""
    with unit_of_work(context.database.sessions) as session:
        served = {commune.code for commune in registry.list_communes(session=session)}
    if commune_code not in served:
        served_commune(context, commune_code)
    with unit_of_work(context.database.sessions) as session:
        village_in = VillageIn(commune_code=commune_code, name=name, distance_km=distance_km, signal=signal)
        return registry.create_village(session=session, village_in=village_in)


def registered_household(
    context: Context, village_id: int, *, number: str = "001", address: str = "Thôn Nà Pục"
) -> HouseholdRead:
    with unit_of_work(context.database.sessions) as session:
        household_in = HouseholdIn(village_id=village_id, number=number, address=address)
        return registry.create_household(session=session, household_in=household_in)


def registered_person(
    context: Context,
    household_id: int,
    full_name: str = "Hoàng Văn Sử",
    born: dt.date = dt.date(1980, 3, 2),
    sex: Sex = Sex.MALE,
    **extra: object,
) -> PersonRead:
    """A resident of the household, with an ID number that follows the rules."""
    with unit_of_work(context.database.sessions) as session:
        return registry.create_person(
            session=session,
            clock=context.clock,
            actor=OFFICER,
            person_in=person_in(household_id, full_name, born, sex, **extra),
        )


def demo_commune(context: Context, people: int = 600) -> str:
    """The demo's simulated commune with its staff logins (``civicid demo``); its code."""
    return build_demo(context=context, people=people).commune_code


def small_commune(context: Context, people: int = 120) -> str:
    """A simulated commune without the demo's staff logins (hashing their passwords is what is slow); its code."""
    generated = generate_commune(seed=2025, people=people, reference_date=context.clock.today())
    with unit_of_work(context.database.sessions) as session:
        load_population(session=session, clock=context.clock, actor=SYSTEM, commune=generated)
    return generated.code


def residents(context: Context, group: str, count: int) -> list[PersonRead]:
    """``residents(context, "14_plus", 3)``: registered residents of an age group, present in the commune.

    Adults are four years past fourteen and have a phone, so that they may apply for level 2.
    """
    today = context.clock.today()
    six, fourteen = latest_birth_date(today, 6), latest_birth_date(today, 14)
    born = {
        "under_6": Person.date_of_birth > six,
        "6_to_13": (Person.date_of_birth <= six) & (Person.date_of_birth > fourteen),
        "14_plus": Person.date_of_birth <= fourteen - dt.timedelta(days=365 * 4),
    }[group]
    conditions = [born, Person.residence_status == ResidenceStatus.PRESENT]
    if group == "14_plus":
        conditions.append(Person.phone.is_not(None))
    with unit_of_work(context.database.sessions) as session:
        ids = session.scalars(select(Person.id).where(*conditions).order_by(Person.id).limit(count)).all()
        return [registry.get_person(session=session, clock=context.clock, actor=ADMIN, person_id=i) for i in ids]
