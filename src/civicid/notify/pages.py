"""The outbox's page (``/notify``): the SMS citizens would have received, for demos and support."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from civicid.country.zone import TIME_ZONE
from civicid.notify import service
from civicid.notify.router import SMS_READ
from civicid.web.deps import DbSession
from civicid.web.roles import commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)

SmsReader = Annotated[StaffAccount, Depends(require(SMS_READ))]
PAGE_SIZE = 200


@router.get("/sms")
def sms_page(request: Request, session: DbSession, principal: SmsReader) -> Response:
    # The demo's gateway is simulated: its page shows the codes, so that a visitor can activate an account.
    reveal = bool(getattr(request.app.state, "demo_reveals_sms_codes", False))
    messages = service.list_sms(
        session=session, limit=PAGE_SIZE, reveal_codes=reveal, commune_code=commune_scope(principal)
    )
    values = {"messages": messages, "tz": TIME_ZONE, "revealed": reveal}
    return render(request, "notify/sms.html", values, principal=principal)
