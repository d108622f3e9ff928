"""Bulk loading a commune: counts, ids alongside existing rows, one audit entry, both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from tests.factories import MakePerson

from civicid.core import audit
from civicid.core.audit import SYSTEM, AuditEntry
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.registry import service
from civicid.registry.bulk import (
    CardLoad,
    CommuneLoad,
    GuardianLoad,
    HouseholdLoad,
    PersonLoad,
    VillageLoad,
    load_population,
)
from civicid.registry.errors import DuplicatePlace
from civicid.registry.models import GuardianLink, IdCard, Person, ResidenceStatus, SignalQuality
from civicid.registry.schemas import HouseholdIn
from civicid.sim.population import generate_commune

SIM_COMMUNE = "05716"  # Xã Võ Nhai, Thái Nguyên: not the registry tests' own commune.


def _small_load() -> CommuneLoad:
    mother = PersonLoad(
        id_number="019190001234",
        full_name="Nông Thị Hằng",
        date_of_birth=dt.date(1990, 3, 1),
        sex=Sex.FEMALE,
        phone="0971234567",
        has_smartphone=True,
        residence_status=ResidenceStatus.PRESENT,
        relation_to_head="head",
        cards=(CardLoad(dt.date(2021, 5, 2), dt.date(2030, 3, 1)),),
    )
    child = PersonLoad(
        id_number="019222000001",
        full_name="Nông Văn An",
        date_of_birth=dt.date(2022, 6, 9),
        sex=Sex.MALE,
        phone=None,
        has_smartphone=False,
        residence_status=ResidenceStatus.PRESENT,
        relation_to_head="child",
        guardians=(GuardianLoad(0, "mother"),),
    )
    return CommuneLoad(
        code=SIM_COMMUNE,
        villages=[VillageLoad("Bản Khuổi Mò", 27.5, SignalQuality.NONE)],
        households=[HouseholdLoad(0, "001", "Bản Khuổi Mò, Xã Võ Nhai, Thái Nguyên", (mother, child))],
    )


class TestLoadPopulation:
    def test_registry_counts_equal_the_generated_counts(self, context: Context) -> None:
        commune = generate_commune(seed=11, people=2_000, reference_date=context.clock.today())
        households = list(commune.iter_households())
        persons = [p for h in households for p in h.members]
        seen: list[int] = []
        with unit_of_work(context.database.sessions) as session:
            report = load_population(
                session=session, clock=context.clock, actor=SYSTEM, commune=commune, progress=seen.append
            )
        with unit_of_work(context.database.sessions) as session:
            stats = service.registry_stats(session=session, reference_date=context.clock.today())
            cards = session.scalar(select(func.count()).select_from(IdCard))
            links = session.scalar(select(func.count()).select_from(GuardianLink))
        assert (stats.villages, stats.households, stats.persons) == (len(commune.villages), len(households), 2_000)
        assert (report.villages, report.households, report.persons) == (stats.villages, len(households), 2_000)
        assert cards == report.id_cards == sum(len(p.cards) for p in persons)
        assert links == report.guardian_links == sum(len(p.guardians) for p in persons)
        assert seen[-1] == 2_000

    def test_one_audit_entry_with_counts_only(self, context: Context) -> None:
        with unit_of_work(context.database.sessions) as session:
            load_population(session=session, clock=context.clock, actor=SYSTEM, commune=_small_load())
        with unit_of_work(context.database.sessions) as session:
            entries = session.scalars(select(AuditEntry)).all()
            assert audit.verify_chain(session=session).intact
        assert [(e.action, e.subject_type, e.subject_id) for e in entries] == [
            ("registry.load", "registry", SIM_COMMUNE)
        ]
        assert entries[0].details == {"villages": 1, "households": 1, "persons": 2, "id_cards": 1, "guardian_links": 1}

    def test_rows_carry_folded_names_village_and_guardians(self, context: Context) -> None:
        with unit_of_work(context.database.sessions) as session:
            load_population(session=session, clock=context.clock, actor=SYSTEM, commune=_small_load())
        with unit_of_work(context.database.sessions) as session:
            child = session.scalars(select(Person).where(Person.id_number == "019222000001")).one()
            mother = session.scalars(select(Person).where(Person.id_number == "019190001234")).one()
            assert child.name_folded == "nong van an"
            assert child.version == 1
            assert child.created_at == context.clock.now()
            assert child.village_id == mother.village_id
            assert service.guardians_of(session=session, child_id=child.id) == [mother.id]

    def test_loads_alongside_existing_rows_and_leaves_ids_usable(
        self, context: Context, household_id: int, make_person: MakePerson
    ) -> None:
        make_person("Lò Văn Pấu", dt.date(1980, 1, 1))
        with unit_of_work(context.database.sessions) as session:
            load_population(
                session=session,
                clock=context.clock,
                actor=SYSTEM,
                commune=generate_commune(seed=3, people=300, reference_date=context.clock.today()),
            )
        # Rows added one at a time after the load must not collide with the loaded ids.
        later = make_person("Hà Thị Mai", dt.date(1985, 2, 2), Sex.FEMALE)
        with unit_of_work(context.database.sessions) as session:
            village = service.list_villages(session=session, commune_code=SIM_COMMUNE)[0]
            service.create_household(
                session=session, household_in=HouseholdIn(village_id=village.id, number="999", address="x")
            )
            stats = service.registry_stats(session=session, reference_date=context.clock.today())
        assert stats.persons == 302
        assert later.household_id == household_id

    def test_a_commune_loads_only_once(self, context: Context) -> None:
        with unit_of_work(context.database.sessions) as session:
            load_population(session=session, clock=context.clock, actor=SYSTEM, commune=_small_load())
        with pytest.raises(DuplicatePlace), unit_of_work(context.database.sessions) as session:
            load_population(session=session, clock=context.clock, actor=SYSTEM, commune=_small_load())
