"""The campaign: a simulated commune mapped by village, a running campaign, teams, their work, visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from civicid.campaign import service
from civicid.campaign.assignments import assign, assign_villages_to_kit
from civicid.campaign.models import Campaign
from civicid.campaign.visits import VisitReport
from civicid.core.audit import Actor
from civicid.core.database import unit_of_work
from civicid.core.ids import new_id
from civicid.core.runtime import Context
from civicid.protocol.codes import VisitOutcome
from civicid.registry.models import Household, Person, Village

from .actors import COMMITTEE
from .registry import demo_commune

START = dt.date(2026, 11, 20)  # the campaign's first day, a week before the suite's clock
DEADLINE = dt.date(2026, 12, 31)
VISITED_AT = dt.datetime(2026, 11, 28, 2, 30, tzinfo=dt.UTC)  # 09:30 on the suite's day, in the commune


@dataclass(frozen=True)
class SmallCommune:
    code: str
    villages: list[int]  # by id, in registry order
    households: dict[int, list[int]]  # village id -> household ids


def mapped_commune(context: Context, people: int = 1_900) -> SmallCommune:
    """The demo's simulated commune (four villages at this size), with its villages and households by id."""
    code = demo_commune(context, people)
    with unit_of_work(context.database.sessions) as session:
        villages = list(session.scalars(select(Village.id).where(Village.commune_code == code).order_by(Village.id)))
        households: dict[int, list[int]] = {v: [] for v in villages}
        for household_id, village_id in session.execute(
            select(Household.id, Household.village_id).order_by(Household.id)
        ):
            households[village_id].append(household_id)
    return SmallCommune(code=code, villages=villages, households=households)


def village_adults(context: Context, village_id: int, count: int, skip: int = 0) -> list[int]:
    """Ids of adults of the village with a phone, in registry order, from the ``skip``-th on."""
    cutoff = dt.date(2008, 1, 1)
    with unit_of_work(context.database.sessions) as session:
        return list(
            session.scalars(
                select(Person.id)
                .where(Person.village_id == village_id, Person.date_of_birth < cutoff, Person.phone.is_not(None))
                .order_by(Person.id)
                .offset(skip)
                .limit(count)
            )
        )


def running_campaign(
    context: Context, commune_code: str, *, start: dt.date = START, deadline: dt.date = DEADLINE
) -> Campaign:
    """The commune's level-2 campaign, from START to DEADLINE unless told, opened by the committee."""
    with unit_of_work(context.database.sessions) as session:
        return service.create_campaign(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            commune_code=commune_code,
            name="Chiến dịch định danh mức 2",
            start=start,
            deadline=deadline,
        )


def kit_sent_to(
    context: Context,
    device_id: str,
    village_ids: list[int],
    start: dt.date,
    end: dt.date,
    *,
    team_name: str | None = None,
    actor: Actor = COMMITTEE,
) -> None:
    """The kit (and the team that carries it, if named) is sent to the villages from ``start`` to ``end``."""
    with unit_of_work(context.database.sessions) as session:
        assign_villages_to_kit(
            session=session,
            clock=context.clock,
            actor=actor,
            device_id=device_id,
            village_ids=village_ids,
            start=start,
            end=end,
            team_name=team_name,
        )


def campaign_teams(context: Context, campaign: Campaign, kits: dict[str, str | None]) -> dict[str, int]:
    """Teams of the campaign, ``{name: device id of its kit, or None}``; their ids by name."""
    with unit_of_work(context.database.sessions) as session:
        return {
            name: service.create_team(
                session=session, clock=context.clock, actor=COMMITTEE, campaign_id=campaign.id, name=name, device_id=kit
            ).id
            for name, kit in kits.items()
        }


def team_assignment(
    context: Context,
    team_id: int,
    start: dt.date,
    end: dt.date,
    *,
    village_ids: Iterable[int] = (),
    household_ids: Iterable[int] = (),
) -> list[int]:
    """The committee sends the team to those villages and households from ``start`` to ``end``; the assignments."""
    with unit_of_work(context.database.sessions) as session:
        return assign(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            team_id=team_id,
            start=start,
            end=end,
            village_ids=list(village_ids),
            household_ids=list(household_ids),
        )


def visit_report(
    household_id: int, outcome: VisitOutcome = VisitOutcome.ABSENT, at: dt.datetime = VISITED_AT, **changes: object
) -> VisitReport:
    """A kit's report of a visit to the household (by ``kit-1``'s operator), as the kit syncs it."""
    fields: dict[str, object] = {
        "id": new_id(),
        "device_id": "kit-1",
        "operator": "operator",
        "household_id": household_id,
        "person_id": None,
        "outcome": outcome,
        "note": None,
        "visited_at": at,
    }
    fields.update(changes)
    return VisitReport(**fields)  # type: ignore[arg-type]
