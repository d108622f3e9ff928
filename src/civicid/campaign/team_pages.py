"""The committee's pages to run the campaign (``/campaign/teams``, ``/campaign/targets``).

Teams with their members and their kit, assignments of a team to villages or households for a
range of days, reassignment and withdrawal, and the correction of a village's target after a
household listing round. Every change goes through the campaign's services, which audit it; the
request's unit of work commits. A refused change (a bad date, an unknown village, a name taken)
comes back as the same page with one readable sentence and the values typed, never a 500.

Reading needs ``campaign:read``; changing needs ``campaign:manage`` and a commune-wide login: a
village head (``scope.py``) sees the teams and assignments of their own village and changes
nothing. Forms are plain POSTs, protected like every form of the server by the edge's origin check
and SameSite=Strict session cookies (``web/middleware.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.campaign import assignments, plan_pages, service
from civicid.campaign.errors import (
    InvalidCampaignInput,
    OutsideVillage,
    TeamNotFound,
)
from civicid.campaign.models import Campaign, Organisation, Team
from civicid.campaign.scope import Scope, scope_of
from civicid.campaign.team_views import PlanningPage, free_kits, parse_count, parse_date, parse_ids
from civicid.core.clock import Clock
from civicid.core.inputs import RowId
from civicid.core.runtime import Context
from civicid.registry import queries as registry
from civicid.web.deps import AppContext, DbSession
from civicid.web.roles import Permission, require
from civicid.web.staff import StaffAccount

router = APIRouter(include_in_schema=False)
router.include_router(plan_pages.router)  # one include in the app serves the committee's planning pages
Reader = Annotated[StaffAccount, Depends(require(Permission.CAMPAIGN_READ))]
Manager = Annotated[StaffAccount, Depends(require(Permission.CAMPAIGN_MANAGE))]
NOTE_MAX = 200


def _reader(
    request: Request, context: Context, session: Session, principal: StaffAccount, commune: str | None
) -> PlanningPage:
    scope = scope_of(session=session, staff_account_id=principal.id, commune_code=principal.commune_code)
    return PlanningPage(
        request, session, context.clock, principal, scope, _campaign(session, context.clock, scope, commune)
    )


def _editor(
    request: Request, context: Context, session: Session, principal: StaffAccount, commune: str | None
) -> PlanningPage:
    """A page for a login that may change the plan: commune-wide, never a village head."""
    page = _reader(request, context, session, principal, commune)
    if page.scope.village_id is not None:
        raise OutsideVillage("a village head reads the teams of their village and changes nothing")
    return page


def _team_editor(
    request: Request, context: Context, session: Session, principal: StaffAccount, team_id: int
) -> tuple[PlanningPage, Team]:
    scope = scope_of(session=session, staff_account_id=principal.id, commune_code=principal.commune_code)
    team = _team(session, scope, team_id)
    return _editor(request, context, session, principal, _commune_of(session, team)), team


# Reading ---------------------------------------------------------------------------------------


@router.get("/teams")
def teams_page(
    request: Request, context: AppContext, session: DbSession, principal: Reader, commune: str | None = None
) -> Response:
    """Every team with its members, its kit and its assignments from today on."""
    return _reader(request, context, session, principal, commune).teams()


@router.get("/teams/{team_id}")
def team_page(
    request: Request,
    team_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Reader,
    village: Annotated[list[str] | None, Query(max_length=20)] = None,
    households: Annotated[str, Query(max_length=2000)] = "",
    day: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """One team: members, assignments, and (for the committee) the forms to change them.

    A line of tomorrow's plan links here with its village, households and day, so the assignment
    form opens filled in with what the plan suggests; the committee only confirms.
    """
    scope = scope_of(session=session, staff_account_id=principal.id, commune_code=principal.commune_code)
    team = _team(session, scope, team_id)
    page = _reader(request, context, session, principal, _commune_of(session, team))
    if scope.village_id is not None and not assignments.list_assignments(
        session=session,
        campaign_id=team.campaign_id,
        since=page.clock.today(),
        team_id=team.id,
        village_id=scope.village_id,
    ):
        raise OutsideVillage(f"team {team_id} is not sent to this village head's village")
    suggested: dict[str, Any] = {"village_ids": village or [], "households": households}
    if day:
        suggested |= {"start": day, "end": day}
    return page.team(team, form=suggested)


@router.get("/targets")
def targets_page(
    request: Request, context: AppContext, session: DbSession, principal: Reader, commune: str | None = None
) -> Response:
    """Each village's target in force, and the form of a household listing round's correction."""
    return _reader(request, context, session, principal, commune).targets()


# Changing --------------------------------------------------------------------------------------


@router.post("/teams")
def create_team_submit(
    request: Request,
    context: AppContext,
    session: DbSession,
    principal: Manager,
    commune: Annotated[str, Form()] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    device_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    page = _editor(request, context, session, principal, commune or None)

    def change() -> str:
        kit = device_id.strip() or None
        if kit is not None and kit not in free_kits(session, page.campaign):
            raise InvalidCampaignInput(
                "choose a registered kit of the commune not serving a team", field="device_id", rule="kit_not_free"
            )
        team = service.create_team(
            session=session, clock=page.clock, actor=page.actor, campaign_id=page.campaign.id, name=name, device_id=kit
        )
        return f"/campaign/teams/{team.id}?done=team"

    return page.submit(change, lambda exc: page.teams(exc, {"name": name, "device_id": device_id}))


@router.post("/teams/{team_id}/members")
def add_member_submit(
    request: Request,
    team_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Manager,
    name: Annotated[str, Form(max_length=200)] = "",
    organisation: Annotated[str, Form(max_length=40)] = "",
    username: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    page, team = _team_editor(request, context, session, principal, team_id)

    def change() -> str:
        if organisation not in {o.value for o in Organisation}:
            raise InvalidCampaignInput(
                "choose where the member comes from", field="organisation", rule="no_organisation"
            )
        service.add_member(
            session=session,
            clock=page.clock,
            actor=page.actor,
            team_id=team.id,
            name=name,
            organisation=Organisation(organisation),
            username=username.strip() or None,
        )
        return f"/campaign/teams/{team.id}?done=member"

    form = {"name": name, "organisation": organisation, "username": username}
    return page.submit(change, lambda exc: page.team(team, exc, form))


@router.post("/teams/{team_id}/members/{member_id}/remove")
def remove_member_submit(
    request: Request, team_id: int, member_id: int, context: AppContext, session: DbSession, principal: Manager
) -> Response:
    """Take a member off the team: they left, or were added twice or by mistake."""
    page, team = _team_editor(request, context, session, principal, team_id)

    def change() -> str:
        service.remove_member(session=session, clock=page.clock, actor=page.actor, team_id=team.id, member_id=member_id)
        return f"/campaign/teams/{team.id}?done=member_removed"

    return page.submit(change, lambda exc: page.team(team, exc))


@router.post("/teams/{team_id}/name")
def rename_team_submit(
    request: Request,
    team_id: int,
    context: AppContext,
    session: DbSession,
    principal: Manager,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    page, team = _team_editor(request, context, session, principal, team_id)

    def change() -> str:
        service.rename_team(session=session, clock=page.clock, actor=page.actor, team_id=team.id, name=name)
        return f"/campaign/teams/{team.id}?done=renamed"

    return page.submit(change, lambda exc: page.team(team, exc, {"team_name": name}))


@router.post("/teams/{team_id}/assignments")
def assign_submit(
    request: Request,
    team_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Manager,
    village_ids: Annotated[list[str] | None, Form()] = None,
    households: Annotated[str, Form(max_length=2000)] = "",
    start: Annotated[str, Form(max_length=20)] = "",
    end: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    page, team = _team_editor(request, context, session, principal, team_id)

    def change() -> str:
        first, last = parse_date(start, "start"), parse_date(end, "end")
        assignments.check_days(campaign=page.campaign, today=page.clock.today(), start=first, end=last)
        assignments.assign(
            session=session,
            clock=page.clock,
            actor=page.actor,
            team_id=team.id,
            start=first,
            end=last,
            village_ids=parse_ids(village_ids or [], "village_ids"),
            household_ids=parse_ids(households.replace(",", " ").split(), "household_ids"),
        )
        return f"/campaign/teams/{team.id}?done=assigned"

    form = {"village_ids": village_ids or [], "households": households, "start": start, "end": end}
    return page.submit(change, lambda exc: page.team(team, exc, form))


@router.post("/assignments/{assignment_id}/reassign")
def reassign_submit(
    request: Request,
    assignment_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Manager,
    team_id: Annotated[str, Form(max_length=20)] = "",
    start: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    page, team = _team_editor(
        request, context, session, principal, assignments.team_of(session=session, assignment_id=assignment_id)
    )

    def change() -> str:
        first = parse_date(start, "start")
        if first < page.clock.today():
            raise InvalidCampaignInput(
                "the assignment starts before today or before the campaign", field="start", rule="before_today"
            )
        if not team_id.strip():
            raise InvalidCampaignInput("choose the team that takes the work", field="team_id", rule="choose_team")
        to = parse_ids([team_id], "team_id")[0]
        assignments.reassign(
            session=session, clock=page.clock, actor=page.actor, assignment_id=assignment_id, team_id=to, start=first
        )
        return f"/campaign/teams/{to}?done=reassigned"

    form = {"reassign_id": str(assignment_id), "team_id": team_id, "reassign_start": start}
    return page.submit(change, lambda exc: page.team(team, exc, form))


@router.post("/teams/{team_id}/kit")
def change_kit_submit(
    request: Request,
    team_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Manager,
    device_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    page, team = _team_editor(request, context, session, principal, team_id)

    def change() -> str:
        kit = device_id.strip() or None
        if kit is not None and kit not in free_kits(session, page.campaign):
            raise InvalidCampaignInput(
                "choose a registered kit of the commune not serving a team", field="device_id", rule="kit_not_free"
            )
        assignments.change_kit(session=session, clock=page.clock, actor=page.actor, team_id=team.id, device_id=kit)
        return f"/campaign/teams/{team.id}?done=kit"

    return page.submit(change, lambda exc: page.team(team, exc, {"device_id": device_id}))


@router.post("/assignments/{assignment_id}/withdraw")
def withdraw_submit(
    request: Request, assignment_id: RowId, context: AppContext, session: DbSession, principal: Manager
) -> Response:
    page, team = _team_editor(
        request, context, session, principal, assignments.team_of(session=session, assignment_id=assignment_id)
    )

    def change() -> str:
        assignments.withdraw(session=session, clock=page.clock, actor=page.actor, assignment_id=assignment_id)
        return f"/campaign/teams/{team.id}?done=withdrawn"

    return page.submit(change, lambda exc: page.team(team, exc))


@router.post("/targets/{village_id}")
def correct_target_submit(
    request: Request,
    village_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Manager,
    adults: Annotated[str, Form(max_length=20)] = "",
    age_6_14: Annotated[str, Form(max_length=20)] = "",
    under_6: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    village = registry.village(session, village_id)
    if village is None or principal.commune_code not in (None, village.commune_code):
        raise OutsideVillage(f"village {village_id} is outside what this login may see")
    page = _editor(request, context, session, principal, village.commune_code)

    def change() -> str:
        counts = [parse_count(adults, "adults"), parse_count(age_6_14, "age_6_14"), parse_count(under_6, "under_6")]
        text = note.strip()
        if len(text) > NOTE_MAX:
            raise InvalidCampaignInput(
                f"the note has at most {NOTE_MAX} characters", field="note", rule="note_too_long"
            )
        service.correct_targets(
            session=session,
            clock=page.clock,
            actor=page.actor,
            campaign_id=page.campaign.id,
            targets={village_id: service.TargetIn(*counts)},
            note=text or None,
        )
        return f"/campaign/targets?commune={page.campaign.commune_code}&done=target#village-{village_id}"

    form = {"village_id": village_id, "adults": adults, "age_6_14": age_6_14, "under_6": under_6, "note": note}
    return page.submit(change, lambda exc: page.targets(exc, form))


# Helpers ---------------------------------------------------------------------------------------


def _campaign(session: Session, clock: Clock, scope: Scope, commune: str | None) -> Campaign:
    return service.campaign_in_scope(session=session, day=clock.today(), commune_code=scope.commune_code or commune)


def _commune_of(session: Session, team: Team) -> str:
    return service.get_campaign(session=session, campaign_id=team.campaign_id).commune_code


def _team(session: Session, scope: Scope, team_id: int) -> Team:
    """The team, if the login's commune holds it (another commune's team is not found)."""
    team = service.get_team(session=session, team_id=team_id)
    if scope.commune_code is not None and _commune_of(session, team) != scope.commune_code:
        raise TeamNotFound(f"no team {team_id}")
    return team


__all__ = ["router"]
