"""Teams sent to villages or households for days, and what each field kit is assigned.

The field kit asks :func:`kit_assignment` at every sync (DESIGN.md decision 5: down-sync is scoped to
the villages assigned to the device). Reassignment withdraws the work from the old kit: its
assignment rows are withdrawn or shortened, never deleted, and every kit whose assignment changed
gets a new ``version``, which tells it at its next sync to drop what it no longer holds
(field-campaign.md §8.1, "reassignment withdraws from the old device").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from civicid.campaign import kits
from civicid.campaign.errors import InvalidCampaignInput
from civicid.campaign.models import Assignment, Team
from civicid.campaign.service import ensure_campaign_for, get_or_create_team
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.registry.models import Household, Village

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class KitAssignment:
    """The work one kit holds on one day: whole villages, and households assigned singly."""

    device_id: str
    team: str | None
    village_ids: frozenset[int]
    household_ids: frozenset[int]  # households assigned singly (may lie outside village_ids)
    version: int  # changes whenever this kit's assignment changes (reassignment withdraws work)


def kit_assignment(*, session: Session, device_id: str, day: dt.date) -> KitAssignment:
    """What ``device_id`` is assigned on ``day``; empty sets (version 0) when nothing ever was.

    ``version`` counts changes to the kit's assignments, whatever the day: a kit that keeps its
    version may still see another set on another day, so it asks again each day.
    """
    rows = session.execute(
        select(Assignment.village_id, Assignment.household_id, Team.name)
        .join(Team, Team.id == Assignment.team_id)
        .where(
            Assignment.device_id == device_id,
            Assignment.withdrawn_at.is_(None),
            Assignment.start_date <= day,
            Assignment.end_date >= day,
        )
    ).all()
    team = session.scalar(select(Team.name).where(Team.device_id == device_id).order_by(Team.id.desc()).limit(1))
    return KitAssignment(
        device_id=device_id,
        team=team,
        village_ids=frozenset(v for v, _, _ in rows if v is not None),
        household_ids=frozenset(h for _, h, _ in rows if h is not None),
        version=kits.assignment_version(session=session, device_id=device_id),
    )


def assign(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    team_id: int,
    start: dt.date,
    end: dt.date,
    village_ids: Iterable[int] = (),
    household_ids: Iterable[int] = (),
) -> list[int]:
    """Send a team to villages and single households from ``start`` to ``end``; returns the new rows' ids.

    Whatever another team held of the same villages or households over those days is withdrawn
    from it (the part before ``start`` and after ``end`` stays with it), and every kit concerned
    gets a new assignment version.
    """
    if end < start:
        raise InvalidCampaignInput("the assignment ends before it starts", field="end")
    villages, households = sorted(set(village_ids)), sorted(set(household_ids))
    if not villages and not households:
        raise InvalidCampaignInput("assign at least one village or household", field="village_ids")
    team = session.get(Team, team_id)
    if team is None:
        raise InvalidCampaignInput(f"no team {team_id}", field="team_id")
    _check_places(session, villages, households)
    now = clock.now()
    touched: set[str | None] = {team.device_id}
    touched |= _withdraw_overlaps(session, now, team.campaign_id, villages, households, start, end)
    rows = [
        Assignment(
            team_id=team.id,
            device_id=team.device_id,
            village_id=village_id,
            household_id=household_id,
            start_date=start,
            end_date=end,
            created_at=now,
            created_by=str(actor),
        )
        for village_id, household_id in [(v, None) for v in villages] + [(None, h) for h in households]
    ]
    session.add_all(rows)
    session.flush()  # The new rows' ids, for the caller and the audit entry.
    for device_id in sorted(d for d in touched if d):
        kits.bump_assignment_version(session=session, device_id=device_id)
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="campaign.assign",
        subject_type="campaign_team",
        subject_id=str(team.id),
        details={"villages": villages, "households": households, "start": start.isoformat(), "end": end.isoformat()},
    )
    return [row.id for row in rows]


def assign_villages_to_kit(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    device_id: str,
    village_ids: Iterable[int],
    start: dt.date,
    end: dt.date,
    team_name: str | None = None,
) -> None:
    """A team for the kit (made if needed, in the villages' commune campaign), sent to those villages.

    The convenience the field kit's tests and the demo use; the committee's pages use :func:`assign`.
    """
    villages = sorted(set(village_ids))
    if not villages:
        raise InvalidCampaignInput("assign at least one village", field="village_ids")
    commune_code = session.scalar(select(Village.commune_code).where(Village.id == villages[0]))
    if commune_code is None:
        raise InvalidCampaignInput(f"no village {villages[0]}", field="village_ids")
    campaign = ensure_campaign_for(session=session, clock=clock, actor=actor, commune_code=commune_code, day=start)
    team = get_or_create_team(
        session=session,
        clock=clock,
        campaign_id=campaign.id,
        name=team_name or f"Kit {device_id[:8]}",
        device_id=device_id,
    )
    assign(session=session, clock=clock, actor=actor, team_id=team.id, start=start, end=end, village_ids=villages)


def withdraw(*, session: Session, clock: Clock, actor: Actor, assignment_id: int) -> None:
    """Take an assignment back whole; its kit drops the work at its next sync."""
    row = session.get(Assignment, assignment_id)
    if row is None or row.withdrawn_at is not None:
        raise InvalidCampaignInput(f"no current assignment {assignment_id}", field="assignment_id")
    row.withdrawn_at = clock.now()
    if row.device_id:
        kits.bump_assignment_version(session=session, device_id=row.device_id)
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="campaign.withdraw",
        subject_type="campaign_assignment",
        subject_id=str(assignment_id),
    )


def _check_places(session: Session, villages: list[int], households: list[int]) -> None:
    if villages:
        found = set(session.scalars(select(Village.id).where(Village.id.in_(villages))))
        if missing := sorted(set(villages) - found):
            raise InvalidCampaignInput(f"no village {missing[0]}", field="village_ids")
    if households:
        found = set(session.scalars(select(Household.id).where(Household.id.in_(households))))
        if missing := sorted(set(households) - found):
            raise InvalidCampaignInput(f"no household {missing[0]}", field="household_ids")


def _withdraw_overlaps(
    session: Session,
    now: dt.datetime,
    campaign_id: int,
    villages: list[int],
    households: list[int],
    start: dt.date,
    end: dt.date,
) -> set[str | None]:
    """Cut ``[start, end]`` out of every current assignment of the same places; the kits touched."""
    places = []
    if villages:
        places.append(Assignment.village_id.in_(villages))
    if households:
        places.append(Assignment.household_id.in_(households))
    overlapping = session.scalars(
        select(Assignment)
        .join(Team, Team.id == Assignment.team_id)
        .where(
            Team.campaign_id == campaign_id,
            Assignment.withdrawn_at.is_(None),
            Assignment.start_date <= end,
            Assignment.end_date >= start,
            or_(*places),
        )
        .with_for_update()
    ).all()
    touched: set[str | None] = set()
    for old in overlapping:
        touched.add(old.device_id)
        if old.end_date > end:
            # The days after the new assignment stay with the old team.
            session.add(
                Assignment(
                    team_id=old.team_id,
                    device_id=old.device_id,
                    village_id=old.village_id,
                    household_id=old.household_id,
                    start_date=end + ONE_DAY,
                    end_date=old.end_date,
                    created_at=now,
                    created_by=old.created_by,
                )
            )
        if old.start_date < start:
            old.end_date = start - ONE_DAY
        else:
            old.withdrawn_at = now
    return touched


__all__ = ["KitAssignment", "assign", "assign_villages_to_kit", "kit_assignment", "withdraw"]
