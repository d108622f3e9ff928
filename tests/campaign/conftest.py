"""A small simulated commune (four villages) for the campaign's tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from civicid.biometrics.simulated import simulated_extractors
from civicid.campaign import service
from civicid.campaign.models import Campaign
from civicid.core.audit import Actor
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment.runtime import build_pipeline
from civicid.enrollment.tasks import Pipeline
from civicid.registry.models import Household, Village
from civicid.sim.demo import build_demo

COMMITTEE = Actor("staff", "committee")
START = dt.date(2026, 11, 20)


@dataclass(frozen=True)
class SmallCommune:
    code: str
    villages: list[int]  # by id, in registry order
    households: dict[int, list[int]]  # village id -> household ids


@pytest.fixture
def commune(context: Context) -> SmallCommune:
    code = build_demo(context=context, people=1_900).commune_code
    with unit_of_work(context.database.sessions) as session:
        villages = list(session.scalars(select(Village.id).where(Village.commune_code == code).order_by(Village.id)))
        households: dict[int, list[int]] = {v: [] for v in villages}
        for household_id, village_id in session.execute(
            select(Household.id, Household.village_id).order_by(Household.id)
        ):
            households[village_id].append(household_id)
    return SmallCommune(code=code, villages=villages, households=households)


@pytest.fixture
def pipeline(context: Context, commune: SmallCommune) -> Pipeline:
    return build_pipeline(context, simulated_extractors())


@pytest.fixture
def campaign(context: Context, commune: SmallCommune) -> Campaign:
    with unit_of_work(context.database.sessions) as session:
        return service.create_campaign(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            commune_code=commune.code,
            name="Chiến dịch định danh mức 2",
            start=START,
            deadline=dt.date(2026, 12, 31),
        )
