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

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from civicid.campaign import kits
from civicid.campaign.errors import InvalidCampaignInput, KitAlreadyInTeam, TeamNotFound
from civicid.campaign.models import Assignment, Campaign, Team
from civicid.campaign.service import ensure_campaign_for, get_or_create_team
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.registry import queries as registry

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class KitAssignment:
    """The work one kit holds on one day: whole villages, and households assigned singly."""

    device_id: str
    team: str | None
    village_ids: frozenset[int]
    household_ids: frozenset[int]  # households assigned singly (may lie outside village_ids)
    version: int  # changes whenever this kit's assignment changes (reassignment withdraws work)


@dataclass(frozen=True)
class AssignmentRow:
    """An assignment as the committee's pages list it: who, where, from when to when."""

    id: int
    team_id: int
    team: str
    device_id: str | None
    village_id: int  # the village, or the household's village
    village: str
    household_id: int | None  # set when a single household was assigned
    start: dt.date
    end: dt.date
    created_by: str


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
        raise InvalidCampaignInput("the assignment ends before it starts", field="end", rule="ends_before_start")
    villages, households = sorted(set(village_ids)), sorted(set(household_ids))
    if not villages and not households:
        raise InvalidCampaignInput("assign at least one village or household", field="village_ids", rule="no_place")
    team = session.get(Team, team_id)
    if team is None:
        raise InvalidCampaignInput(f"no team {team_id}", field="team_id", rule="unknown_team")
    commune_code = session.scalar(select(Campaign.commune_code).where(Campaign.id == team.campaign_id))
    _check_places(session, str(commune_code), villages, households)
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
    commune_code = registry.village_commune(session, villages[0])
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


def change_kit(*, session: Session, clock: Clock, actor: Actor, team_id: int, device_id: str | None) -> None:
    """Give a team another kit (a broken one replaced), or none: its work from today on moves with it.

    The old kit drops the work at its next sync and the new one receives it; the days before today
    stay the old kit's, as the work it did does (figures count work by the kit that did it).
    """
    team = session.get(Team, team_id)
    if team is None:
        raise TeamNotFound(f"no team {team_id}")
    if device_id == team.device_id:
        raise InvalidCampaignInput("the team already carries this kit", field="device_id", rule="same_kit")
    if device_id is not None and session.scalar(
        select(Team.id).where(Team.campaign_id == team.campaign_id, Team.device_id == device_id)
    ):
        raise KitAlreadyInTeam(f"kit {device_id} already serves a team of this campaign")
    today, now = clock.today(), clock.now()
    current = session.scalars(
        select(Assignment)
        .where(Assignment.team_id == team.id, Assignment.withdrawn_at.is_(None), Assignment.end_date >= today)
        .with_for_update()
    ).all()
    for row in current:
        if row.start_date < today:
            session.add(
                Assignment(
                    team_id=row.team_id,
                    device_id=device_id,
                    village_id=row.village_id,
                    household_id=row.household_id,
                    start_date=today,
                    end_date=row.end_date,
                    created_at=now,
                    created_by=str(actor),
                )
            )
            row.end_date = today - ONE_DAY
        else:
            row.device_id = device_id
    old, team.device_id = team.device_id, device_id
    for kit in sorted(k for k in (old, device_id) if k):
        kits.bump_assignment_version(session=session, device_id=kit)
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="campaign.kit",
        subject_type="campaign_team",
        subject_id=str(team.id),
        details={"from": old, "to": device_id, "assignments": len(current)},
    )


def withdraw(*, session: Session, clock: Clock, actor: Actor, assignment_id: int) -> None:
    """Take an assignment back whole; its kit drops the work at its next sync."""
    row = session.get(Assignment, assignment_id)
    if row is None or row.withdrawn_at is not None:
        raise InvalidCampaignInput(
            f"no current assignment {assignment_id}", field="assignment_id", rule="unknown_assignment"
        )
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


def reassign(
    *, session: Session, clock: Clock, actor: Actor, assignment_id: int, team_id: int, start: dt.date
) -> list[int]:
    """Give what is left of an assignment, from ``start`` on, to another team of the same campaign.

    :func:`assign` does the work: the old team keeps the days before ``start``, and its kit drops
    the place at its next sync. The move itself is audited, so the log says from whom to whom.
    """
    row = session.get(Assignment, assignment_id)
    if row is None or row.withdrawn_at is not None:
        raise InvalidCampaignInput(
            f"no current assignment {assignment_id}", field="assignment_id", rule="unknown_assignment"
        )
    old_team, new_team = session.get(Team, row.team_id), session.get(Team, team_id)
    if new_team is None or old_team is None or new_team.campaign_id != old_team.campaign_id:
        raise InvalidCampaignInput(f"no team {team_id} in this campaign", field="team_id", rule="unknown_team")
    if new_team.id == old_team.id:
        raise InvalidCampaignInput("the work is already this team's", field="team_id", rule="same_team")
    begin = max(start, row.start_date)
    if begin > row.end_date:
        raise InvalidCampaignInput("the assignment is over by then", field="start", rule="over")
    ids = assign(
        session=session,
        clock=clock,
        actor=actor,
        team_id=new_team.id,
        start=begin,
        end=row.end_date,
        village_ids=[row.village_id] if row.village_id is not None else [],
        household_ids=[row.household_id] if row.household_id is not None else [],
    )
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="campaign.reassign",
        subject_type="campaign_assignment",
        subject_id=str(assignment_id),
        details={"from_team": old_team.id, "to_team": new_team.id, "start": begin.isoformat()},
    )
    return ids


def team_of(*, session: Session, assignment_id: int) -> int:
    """The team an assignment was given to; :class:`TeamNotFound` for an unknown assignment."""
    team_id = session.scalar(select(Assignment.team_id).where(Assignment.id == assignment_id))
    if team_id is None:
        raise TeamNotFound(f"no assignment {assignment_id}")
    return int(team_id)


def list_assignments(
    *,
    session: Session,
    campaign_id: int,
    since: dt.date,
    team_id: int | None = None,
    village_id: int | None = None,
) -> list[AssignmentRow]:
    """The campaign's assignments not withdrawn that end on ``since`` or later, by start and village.

    A household's assignment is listed under its village, so a village head sees the households of
    their village sent to a team as well as the village itself.
    """
    place = func.coalesce(Assignment.village_id, registry.households.c.village_id)
    query = (
        select(Assignment, Team.name, registry.villages.c.id, registry.villages.c.name)
        .join(Team, Team.id == Assignment.team_id)
        .outerjoin(registry.households, registry.households.c.id == Assignment.household_id)
        .join(registry.villages, registry.villages.c.id == place)
        .where(Team.campaign_id == campaign_id, Assignment.withdrawn_at.is_(None), Assignment.end_date >= since)
        .order_by(Assignment.start_date, registry.villages.c.name, Assignment.id)
    )
    if team_id is not None:
        query = query.where(Assignment.team_id == team_id)
    if village_id is not None:
        query = query.where(place == village_id)
    return [
        AssignmentRow(
            id=row.id,
            team_id=row.team_id,
            team=team,
            device_id=row.device_id,
            village_id=place_id,
            village=village,
            household_id=row.household_id,
            start=row.start_date,
            end=row.end_date,
            created_by=row.created_by,
        )
        for row, team, place_id, village in session.execute(query)
    ]


def check_days(*, campaign: Campaign, today: dt.date, start: dt.date, end: dt.date) -> None:
    """Days a committee may send a team for: from today, within the campaign, start before end.

    Past days cannot be worked any more, and days after the deadline are another campaign's.
    """
    if start < max(today, campaign.start_date):
        raise InvalidCampaignInput(
            "the assignment starts before today or before the campaign", field="start", rule="before_today"
        )
    if end < start:
        raise InvalidCampaignInput("the assignment ends before it starts", field="end", rule="ends_before_start")
    if end > campaign.deadline:
        raise InvalidCampaignInput(
            "the assignment ends after the campaign's deadline", field="end", rule="after_deadline"
        )


def _check_places(session: Session, commune_code: str, villages: list[int], households: list[int]) -> None:
    """Every place exists and lies in the team's commune: a team never works another commune."""
    if villages:
        found = registry.villages_in_commune(session, commune_code, villages)
        if missing := sorted(set(villages) - found):
            raise InvalidCampaignInput(
                f"no village {missing[0]} in the commune", field="village_ids", rule="unknown_village"
            )
    if households:
        found = registry.households_in_commune(session, commune_code, households)
        if missing := sorted(set(households) - found):
            raise InvalidCampaignInput(
                f"no household {missing[0]} in the commune", field="household_ids", rule="unknown_household"
            )


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


__all__ = [
    "AssignmentRow",
    "KitAssignment",
    "assign",
    "assign_villages_to_kit",
    "change_kit",
    "check_days",
    "kit_assignment",
    "list_assignments",
    "reassign",
    "team_of",
    "withdraw",
]
