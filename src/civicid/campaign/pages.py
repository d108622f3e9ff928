"""The steering committee's pages (``/campaign``): the commune at a glance, a village, who is missing.

Every chart is inline SVG drawn on the server (``charts.py``): the pages work offline, on a phone,
with nothing fetched from anywhere. A village head sees their own village only (``scope.py``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.campaign import charts, service
from civicid.campaign.errors import CampaignNotFound
from civicid.campaign.figures import CampaignFigures, campaign_figures
from civicid.campaign.missing import missing_people, reason_counts
from civicid.campaign.models import Campaign
from civicid.campaign.plan import tomorrow_plan
from civicid.campaign.reports import ReportHeading, report_file
from civicid.campaign.scope import Scope, check_village, scope_of
from civicid.core.clock import Clock
from civicid.core.inputs import RowId
from civicid.country.zone import TIME_ZONE
from civicid.registry import queries as registry
from civicid.web.deps import AppContext, DbSession
from civicid.web.i18n import translate
from civicid.web.roles import Permission, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor
from civicid.web.templating import render, request_language, url_with

router = APIRouter(include_in_schema=False)
Reader = Annotated[StaffAccount, Depends(require(Permission.CAMPAIGN_READ))]
MISSING_PAGE = 50

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _figures(
    session: Session, clock: Clock, principal: StaffAccount, commune: str | None
) -> tuple[Scope, CampaignFigures]:
    scope, _, figures = _campaign_figures(session, clock, principal, commune)
    return scope, figures


def _campaign_figures(
    session: Session, clock: Clock, principal: StaffAccount, commune: str | None
) -> tuple[Scope, Campaign, CampaignFigures]:
    scope = scope_of(session=session, staff_account_id=principal.id, commune_code=principal.commune_code)
    campaign = service.campaign_in_scope(session=session, day=clock.today(), commune_code=scope.commune_code or commune)
    return scope, campaign, campaign_figures(session=session, clock=clock, campaign=campaign)


@router.get("")
def dashboard_page(
    request: Request, context: AppContext, session: DbSession, principal: Reader, commune: str | None = None
) -> Response:
    scope, campaign, figures = _campaign_figures(session, context.clock, principal, commune)
    if scope.village_id is not None:
        return RedirectResponse(f"/campaign/villages/{scope.village_id}", status_code=303)
    lang = request_language(request)
    centre_row = registry.commune(session, figures.commune_code)
    centre = (
        (centre_row.latitude, centre_row.longitude)
        if centre_row and centre_row.latitude and centre_row.longitude
        else None
    )
    return render(
        request,
        "campaign/dashboard.html",
        {
            "f": figures,
            "burn_up": charts.burn_up(figures, None, translate(lang, "campaign.burn_up")),
            "heat_map": charts.heat_map(figures, translate(lang, "campaign.heat_map")),
            "map": charts.village_map(figures.villages, translate(lang, "campaign.map"), centre),
            "bar": charts.bar,
            "colour": charts.coverage_colour,
            # The very plan /campaign/plan shows: from the records (assignments, revisits), not the figures alone.
            "plan": tomorrow_plan(session=session, campaign=campaign, figures=figures),
            "commune_param": f"?commune={figures.commune_code}",
            "local": lambda at: at.astimezone(TIME_ZONE).strftime("%d/%m %H:%M"),
        },
        principal=principal,
    )


@router.get("/villages/{village_id}")
def village_page(
    request: Request, village_id: RowId, context: AppContext, session: DbSession, principal: Reader
) -> Response:
    scope = scope_of(session=session, staff_account_id=principal.id, commune_code=principal.commune_code)
    village = check_village(session=session, scope=scope, village_id=village_id)
    campaign = service.campaign_in_scope(
        session=session, day=context.clock.today(), commune_code=scope.commune_code or village.commune_code
    )
    figures = campaign_figures(session=session, clock=context.clock, campaign=campaign)
    v = next(v for v in figures.villages if v.village_id == village_id)
    lang = request_language(request)
    return render(
        request,
        "campaign/village.html",
        {
            "f": figures,
            "v": v,
            "burn_up": charts.burn_up(figures, v, translate(lang, "campaign.burn_up")),
            "bar": charts.bar,
            "head": scope.village_id is not None,
        },
        principal=principal,
    )


@router.get("/villages/{village_id}/missing")
def missing_page(
    request: Request,
    village_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Reader,
    reason: Annotated[str | None, Query(max_length=40)] = None,
    household: Annotated[str, Query(max_length=2000)] = "",
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    """Who the village still misses and why, a page at a time; by reason, or in given households
    (the plan's mop-up households link here with theirs)."""
    scope = scope_of(session=session, staff_account_id=principal.id, commune_code=principal.commune_code)
    village = check_village(session=session, scope=scope, village_id=village_id)
    people = missing_people(session=session, clock=context.clock, actor=staff_actor(principal), village_id=village_id)
    counts = reason_counts(people)
    households = {int(h) for h in household.split(",") if h.strip().isdigit()}
    chosen = [
        p
        for p in people
        if (reason is None or p.reason.value == reason) and (not households or p.household_id in households)
    ]
    page = chosen[offset : offset + MISSING_PAGE]
    return render(
        request,
        "campaign/missing.html",
        {
            "village": village,
            "people": page,
            "counts": counts,
            "reason": reason,
            "households": sorted(households),
            "total": len(people),
            "shown": len(chosen),
            "first": offset + 1,
            "last": offset + len(page),
            "previous": url_with(request, offset=str(max(0, offset - MISSING_PAGE))) if offset > 0 else None,
            "next": url_with(request, offset=str(offset + MISSING_PAGE)) if offset + len(page) < len(chosen) else None,
        },
        principal=principal,
    )


@router.get("/report.{kind}")
def report_download(
    request: Request, kind: str, context: AppContext, session: DbSession, principal: Reader, commune: str | None = None
) -> Response:
    if kind not in MEDIA:
        raise CampaignNotFound(f"no report in format {kind!r}")
    scope, figures = _figures(session, context.clock, principal, commune)
    if scope.village_id is not None:
        figures.villages = [v for v in figures.villages if v.village_id == scope.village_id]
        figures.total = figures.villages[0]
    place = registry.commune(session, figures.commune_code)
    heading = ReportHeading(
        language=request_language(request), commune_names={figures.commune_code: place.name} if place else {}
    )
    body: Any = report_file([figures], heading, kind, figures.today)
    filename = f"civicid-{figures.commune_code}-{figures.today.isoformat()}.{kind}"
    return Response(body, media_type=MEDIA[kind], headers={"Content-Disposition": f'attachment; filename="{filename}"'})
