"""The outbox's JSON API (``/api/v1/notify``): what was queued and sent, recipients masked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from civicid.notify import service
from civicid.notify.schemas import SmsRead
from civicid.web.deps import DbSession
from civicid.web.problems import problem_responses
from civicid.web.roles import Permission, commune_scope, require
from civicid.web.staff import StaffAccount

# Administrators and supervisors. A dedicated ``notify:read`` permission belongs in web/roles.py;
# until it exists, registry:write grants exactly these two roles.
SMS_READ = Permission.NOTIFY_READ

router = APIRouter(tags=["notify"])

SmsReader = Annotated[StaffAccount, Depends(require(SMS_READ))]


@router.get("/sms", responses=problem_responses(401, 403, 422))
def list_sms(
    session: DbSession,
    principal: SmsReader,
    related_type: Annotated[str | None, Query(max_length=40)] = None,
    related_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=service.LIST_LIMIT_MAX)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[SmsRead]:
    """The most recent SMS first, a page from ``offset``, optionally about one object; staff bound to a commune
    see its messages only."""
    return service.list_sms(
        session=session,
        limit=limit,
        offset=offset,
        related_type=related_type,
        related_id=related_id,
        commune_code=commune_scope(principal),
    )
