"""The campaign's JSON API: the figures of a commune's campaign (``/api/v1/campaign``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from civicid.campaign import service
from civicid.campaign.errors import CampaignNotFound
from civicid.campaign.figures import campaign_figures
from civicid.campaign.scope import scope_of
from civicid.web.deps import AppContext, DbSession
from civicid.web.roles import Permission, require
from civicid.web.staff import StaffAccount

router = APIRouter(tags=["campaign"])
Reader = Annotated[StaffAccount, Depends(require(Permission.CAMPAIGN_READ))]


@router.get("/figures", responses={401: {}, 403: {}, 404: {}})
def figures(context: AppContext, session: DbSession, principal: Reader, commune: str | None = None) -> dict[str, Any]:
    """Per-village figures of the commune's current campaign (a village head gets their village only)."""
    scope = scope_of(session=session, staff_account_id=principal.id, commune_code=principal.commune_code)
    code = scope.commune_code or commune
    if code is None:
        raise CampaignNotFound("name a commune with ?commune=")
    campaign = service.current_campaign(session=session, commune_code=code, day=context.clock.today())
    if campaign is None:
        raise CampaignNotFound(f"commune {code} has no campaign")
    result = campaign_figures(session=session, clock=context.clock, campaign=campaign).as_dict()
    if scope.village_id is not None:
        result["villages"] = [v for v in result["villages"] if v["village_id"] == scope.village_id]
        result["commune"] = None
        result["teams"] = []
    return result
