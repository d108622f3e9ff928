"""Tomorrow's plan as a page (``/campaign/plan``), from the records: revisit lists, assignments, kits.

The dashboard, this page and the CLI show one plan, :func:`civicid.campaign.plan.tomorrow_plan`:
from the figures and what only the records hold (the households to go back to, the villages each
kit already holds, the villages past their planned days); this page shows it in full.
A village head sees the lines of their own village only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from civicid.campaign import service
from civicid.campaign.figures import campaign_figures
from civicid.campaign.plan import tomorrow_plan
from civicid.campaign.scope import scope_of
from civicid.web.deps import AppContext, DbSession
from civicid.web.roles import Permission, allows, require
from civicid.web.staff import StaffAccount
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[StaffAccount, Depends(require(Permission.CAMPAIGN_READ))]


@router.get("/plan")
def plan_page(
    request: Request, context: AppContext, session: DbSession, principal: Reader, commune: str | None = None
) -> Response:
    """The plan for the next working day, each line with why."""
    scope = scope_of(session=session, staff_account_id=principal.id, commune_code=principal.commune_code)
    campaign = service.campaign_in_scope(
        session=session, day=context.clock.today(), commune_code=scope.commune_code or commune
    )
    figures = campaign_figures(session=session, clock=context.clock, campaign=campaign)
    plan = tomorrow_plan(session=session, campaign=campaign, figures=figures)
    if scope.village_id is not None:
        plan = replace(plan, lines=[line for line in plan.lines if line.village_id == scope.village_id], notes=())
    editable = scope.village_id is None and allows(principal.role, Permission.CAMPAIGN_MANAGE)
    return render(
        request, "campaign/plan.html", {"plan": plan, "campaign": campaign, "editable": editable}, principal=principal
    )


__all__ = ["router"]
