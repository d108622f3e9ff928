"""Campaigns, their targets and their teams: the committee's plan, before any figure.

A campaign belongs to one commune and has a deadline and working days. Its targets are per
village and versioned: the first version comes from the registry and the age rules, a household
listing round may correct it, and the highest version is the one in force (field-campaign.md §8.3:
keep the denominator versioned; coverage above 100 % is a denominator error, not success).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicid.campaign.errors import (
    CampaignNotFound,
    DuplicateCampaign,
    DuplicateMember,
    DuplicateTeam,
    InvalidCampaignInput,
    KitAlreadyInTeam,
    MemberNotFound,
    TeamNotFound,
)
from civicid.campaign.models import DEFAULT_WORKING_DAYS, Campaign, Organisation, Team, TeamMember, VillageTarget
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.country.names import fold
from civicid.registry import queries as registry
from civicid.registry.eligibility import eligible_by_village

NAME_MAX_LENGTH = 120
DEFAULT_CAMPAIGN_DAYS = 60


@dataclass(frozen=True)
class TargetIn:
    adults: int
    age_6_14: int
    under_6: int


@dataclass(frozen=True)
class CurrentTarget:
    village_id: int
    version: int
    adults: int
    age_6_14: int
    under_6: int
    source: str


def create_campaign(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    commune_code: str,
    name: str,
    start: dt.date,
    deadline: dt.date,
    working_days: str = DEFAULT_WORKING_DAYS,
) -> Campaign:
    """A campaign for the commune, with its first targets taken from the registry on ``start``."""
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise InvalidCampaignInput(f"the name must have 1 to {NAME_MAX_LENGTH} characters", field="name")
    if deadline < start:
        raise InvalidCampaignInput("the deadline is before the start", field="deadline")
    if not working_days or any(c not in "0123456" for c in working_days) or len(set(working_days)) != len(working_days):
        raise InvalidCampaignInput("working days are weekday digits 0 (Monday) to 6 (Sunday)", field="working_days")
    if registry.commune(session, commune_code) is None:
        raise InvalidCampaignInput(f"no commune {commune_code} in the registry", field="commune_code")
    campaign = Campaign(
        commune_code=commune_code,
        name=name,
        start_date=start,
        deadline=deadline,
        working_days="".join(sorted(working_days)),
        created_at=clock.now(),
        created_by=str(actor),
    )
    try:
        with session.begin_nested():
            session.add(campaign)
            session.flush()  # The id, and the unique name speaks now.
    except IntegrityError:
        raise DuplicateCampaign(f"the commune already has a campaign named {name!r}") from None
    counts = eligible_by_village(session=session, commune_code=commune_code, reference_date=start)
    for village_id, c in sorted(counts.items()):
        _add_target(
            session, clock, actor, campaign.id, village_id, TargetIn(c.adults, c.age_6_14, c.under_6), "registry", None
        )
    _audit(session, clock, actor, "campaign.create", campaign.id, {"villages": len(counts)})
    return campaign


def ensure_campaign_for(*, session: Session, clock: Clock, actor: Actor, commune_code: str, day: dt.date) -> Campaign:
    """The commune's campaign running on ``day``, or a new one of sixty days from ``day``."""
    found = current_campaign(session=session, commune_code=commune_code, day=day)
    if found is not None:
        return found
    return create_campaign(
        session=session,
        clock=clock,
        actor=actor,
        commune_code=commune_code,
        name=f"Level-2 campaign {day.isoformat()}",
        start=day,
        deadline=day + dt.timedelta(days=DEFAULT_CAMPAIGN_DAYS - 1),
    )


def current_campaign(*, session: Session, commune_code: str, day: dt.date) -> Campaign | None:
    """The commune's campaign whose dates hold ``day``, else its latest one, else None."""
    campaigns = session.scalars(
        select(Campaign)
        .where(Campaign.commune_code == commune_code)
        .order_by(Campaign.start_date.desc(), Campaign.id.desc())
    ).all()
    for campaign in campaigns:
        if campaign.start_date <= day <= campaign.deadline:
            return campaign
    return campaigns[0] if campaigns else None


def campaign_in_scope(*, session: Session, day: dt.date, commune_code: str | None) -> Campaign:
    """The campaign a page shows: the commune's current one; for a login of every commune, the latest.

    Raises :class:`CampaignNotFound` when there is none, which a page shows as a 404.
    """
    if commune_code is None:
        campaigns = list_campaigns(session=session)
        if not campaigns:
            raise CampaignNotFound("no campaign yet")
        commune_code = campaigns[-1].commune_code
    campaign = current_campaign(session=session, commune_code=commune_code, day=day)
    if campaign is None:
        raise CampaignNotFound(f"commune {commune_code} has no campaign")
    return campaign


def get_campaign(*, session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


def list_campaigns(*, session: Session, commune_code: str | None = None) -> list[Campaign]:
    query = select(Campaign).order_by(Campaign.commune_code, Campaign.start_date)
    if commune_code is not None:
        query = query.where(Campaign.commune_code == commune_code)
    return list(session.scalars(query))


# Targets ---------------------------------------------------------------------------------------


def current_targets(*, session: Session, campaign_id: int) -> dict[int, CurrentTarget]:
    """Each village's target in force: its highest version."""
    return targets_in_force(session=session, campaign_ids=[campaign_id]).get(campaign_id, {})


def targets_in_force(*, session: Session, campaign_ids: list[int]) -> dict[int, dict[int, CurrentTarget]]:
    """campaign -> village -> target in force, for many campaigns in one query (the province report)."""
    if not campaign_ids:
        return {}
    latest = (
        select(
            VillageTarget.campaign_id,
            VillageTarget.village_id,
            func.max(VillageTarget.version).label("version"),
        )
        .where(VillageTarget.campaign_id.in_(campaign_ids))
        .group_by(VillageTarget.campaign_id, VillageTarget.village_id)
        .subquery()
    )
    rows = session.execute(
        select(
            VillageTarget.campaign_id,
            VillageTarget.village_id,
            VillageTarget.version,
            VillageTarget.adults,
            VillageTarget.age_6_14,
            VillageTarget.under_6,
            VillageTarget.source,
        ).join(
            latest,
            (latest.c.campaign_id == VillageTarget.campaign_id)
            & (latest.c.village_id == VillageTarget.village_id)
            & (latest.c.version == VillageTarget.version),
        )
    )
    result: dict[int, dict[int, CurrentTarget]] = {c: {} for c in campaign_ids}
    for campaign_id, village_id, version, adults, age_6_14, under_6, source in rows:
        result[campaign_id][village_id] = CurrentTarget(village_id, version, adults, age_6_14, under_6, source)
    return result


def correct_targets(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    campaign_id: int,
    targets: Mapping[int, TargetIn],
    source: str = "listing",
    note: str | None = None,
) -> None:
    """New target versions for some villages, e.g. after a household listing round found other numbers."""
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    villages = {v.id for v in registry.villages_of_commune(session, campaign.commune_code)}
    for village_id, target in targets.items():
        if village_id not in villages:
            raise InvalidCampaignInput(f"village {village_id} is not in the campaign's commune", field="village_id")
        if min(target.adults, target.age_6_14, target.under_6) < 0:
            raise InvalidCampaignInput("a target cannot be negative", field="targets")
    for village_id, target in sorted(targets.items()):
        _add_target(session, clock, actor, campaign_id, village_id, target, source, note)
    _audit(session, clock, actor, "campaign.targets", campaign_id, {"villages": sorted(targets), "source": source})


def _add_target(
    session: Session,
    clock: Clock,
    actor: Actor,
    campaign_id: int,
    village_id: int,
    target: TargetIn,
    source: str,
    note: str | None,
) -> None:
    version = session.scalar(
        select(func.coalesce(func.max(VillageTarget.version), 0)).where(
            VillageTarget.campaign_id == campaign_id, VillageTarget.village_id == village_id
        )
    )
    session.add(
        VillageTarget(
            campaign_id=campaign_id,
            village_id=village_id,
            version=int(version or 0) + 1,
            adults=target.adults,
            age_6_14=target.age_6_14,
            under_6=target.under_6,
            source=source,
            note=note,
            set_at=clock.now(),
            set_by=str(actor),
        )
    )


# Teams -----------------------------------------------------------------------------------------


def create_team(
    *, session: Session, clock: Clock, actor: Actor, campaign_id: int, name: str, device_id: str | None = None
) -> Team:
    """A team of the campaign, with the field kit it carries (if any)."""
    get_campaign(session=session, campaign_id=campaign_id)
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidCampaignInput("the team name must have 1 to 80 characters", field="name", rule="team_name")
    if device_id is not None and session.scalar(
        select(Team.id).where(Team.campaign_id == campaign_id, Team.device_id == device_id)
    ):
        raise KitAlreadyInTeam(f"kit {device_id} already serves a team of this campaign")
    team = Team(campaign_id=campaign_id, name=name, device_id=device_id, created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(team)
            session.flush()  # The id, and the unique name speaks now.
    except IntegrityError:
        raise DuplicateTeam(f"the campaign already has a team named {name!r}") from None
    _audit(session, clock, actor, "campaign.team", campaign_id, {"team": team.id})
    return team


def get_team(*, session: Session, team_id: int) -> Team:
    """The team, or :class:`TeamNotFound` (a page given a stale or made-up id)."""
    team = session.get(Team, team_id)
    if team is None:
        raise TeamNotFound(f"no team {team_id}")
    return team


def get_or_create_team(*, session: Session, clock: Clock, campaign_id: int, name: str, device_id: str) -> Team:
    """The team carrying ``device_id`` in the campaign, made under ``name`` if there is none."""
    team = session.scalar(select(Team).where(Team.campaign_id == campaign_id, Team.device_id == device_id))
    if team is not None:
        return team
    return create_team(
        session=session,
        clock=clock,
        actor=Actor("system", "campaign"),
        campaign_id=campaign_id,
        name=name,
        device_id=device_id,
    )


def add_member(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    team_id: int,
    name: str,
    organisation: Organisation,
    username: str | None = None,
) -> TeamMember:
    """A member of a team: a police officer, a Youth Union or Women's Union volunteer, a village head…"""
    team = session.get(Team, team_id)
    if team is None:
        raise TeamNotFound(f"no team {team_id}")
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise InvalidCampaignInput(
            f"the name must have 1 to {NAME_MAX_LENGTH} characters", field="name", rule="member_name"
        )
    _refuse_second_membership(session, team_id, name, username)
    member = TeamMember(team_id=team_id, name=name, organisation=Organisation(organisation), username=username)
    session.add(member)
    _audit(
        session,
        clock,
        actor,
        "campaign.member",
        team.campaign_id,
        {"team": team_id, "organisation": member.organisation.value},
    )
    return member


def _refuse_second_membership(session: Session, team_id: int, name: str, username: str | None) -> None:
    """A person is listed once in a team: the same name (case and diacritics aside) or login is refused."""
    for member in session.scalars(select(TeamMember).where(TeamMember.team_id == team_id)):
        if fold(member.name) == fold(name) or (username is not None and member.username == username):
            raise DuplicateMember(f"{member.name} is already a member of this team")


def remove_member(*, session: Session, clock: Clock, actor: Actor, team_id: int, member_id: int) -> None:
    """Take a member off the team (they left, or were added by mistake); audited, never silent."""
    team = get_team(session=session, team_id=team_id)
    member = session.get(TeamMember, member_id)
    if member is None or member.team_id != team_id:
        raise MemberNotFound(f"no member {member_id} in team {team_id}")
    session.delete(member)
    _audit(
        session,
        clock,
        actor,
        "campaign.member_removed",
        team.campaign_id,
        {"team": team_id, "organisation": member.organisation.value},
    )


def rename_team(*, session: Session, clock: Clock, actor: Actor, team_id: int, name: str) -> Team:
    """Give the team another name, unique in its campaign like the first."""
    team = get_team(session=session, team_id=team_id)
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidCampaignInput("the team name must have 1 to 80 characters", field="name", rule="team_name")
    if name == team.name:
        return team
    if session.scalar(select(Team.id).where(Team.campaign_id == team.campaign_id, Team.name == name)):
        raise DuplicateTeam(f"the campaign already has a team named {name!r}")
    team.name = name
    _audit(session, clock, actor, "campaign.team_renamed", team.campaign_id, {"team": team_id})
    return team


def list_teams(*, session: Session, campaign_id: int) -> list[tuple[Team, list[TeamMember]]]:
    teams = list(session.scalars(select(Team).where(Team.campaign_id == campaign_id).order_by(Team.name)))
    members = session.scalars(
        select(TeamMember).where(TeamMember.team_id.in_([t.id for t in teams])).order_by(TeamMember.id)
    ).all()
    by_team: dict[int, list[TeamMember]] = {t.id: [] for t in teams}
    for m in members:
        by_team[m.team_id].append(m)
    return [(t, by_team[t.id]) for t in teams]


def _audit(
    session: Session, clock: Clock, actor: Actor, action: str, campaign_id: int, details: dict[str, object]
) -> None:
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action=action,
        subject_type="campaign",
        subject_id=str(campaign_id),
        details=dict(details),
    )
