"""A small demo commune with a registered kit, the pipeline, and a way to run it to the end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from civicid.biometrics.simulated import simulated_extractors
from civicid.core.audit import SYSTEM, Actor
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.age import latest_birth_date
from civicid.enrollment.runtime import build_pipeline, build_worker
from civicid.enrollment.tasks import Pipeline
from civicid.registry import service as registry
from civicid.registry.bulk import load_population
from civicid.registry.models import Person, ResidenceStatus
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit
from civicid.sim.demo import build_demo
from civicid.sim.population import generate_commune

SUPERVISOR = Actor("staff", "supervisor")
ADMIN = Actor("system", "tests")
PeopleOf = Callable[[str, int], list[PersonRead]]


@pytest.fixture
def commune(context: Context) -> str:
    return build_demo(context=context, people=600).commune_code


def load_small_commune(context: Context) -> str:
    """A commune of 120 generated people without the demo's staff logins (hashing their passwords is what is slow).

    Modules that need no logins override ``commune`` with it.
    """
    generated = generate_commune(seed=2025, people=120, reference_date=context.clock.today())
    with unit_of_work(context.database.sessions) as session:
        load_population(session=session, clock=context.clock, actor=SYSTEM, commune=generated)
    return generated.code


@pytest.fixture
def pipeline(context: Context, commune: str) -> Pipeline:
    return build_pipeline(context, simulated_extractors())


@pytest.fixture
def kit(context: Context, commune: str) -> SimulatedKit:
    with unit_of_work(context.database.sessions) as session:
        return SimulatedKit.register(
            session=session, clock=context.clock, actor=ADMIN, commune_code=commune, operator="operator"
        )


@pytest.fixture
def run_pipeline(context: Context, pipeline: Pipeline) -> Callable[[], int]:
    worker = build_worker(context, pipeline, name="test-worker")
    return worker.run_until_idle


@pytest.fixture
def people(context: Context, commune: str) -> PeopleOf:
    """``people("14_plus", 3)``: registered residents of an age group, present in the commune."""

    def pick(group: str, count: int) -> list[PersonRead]:
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

    return pick
