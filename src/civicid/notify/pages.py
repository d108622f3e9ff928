"""The outbox's page (``/notify``): the SMS citizens would have received, for demos and support."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from civicid.country.zone import TIME_ZONE
from civicid.notify import service
from civicid.notify.models import NotificationState
from civicid.notify.router import SMS_READ
from civicid.web.deps import DbSession
from civicid.web.roles import commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.templating import render, url_with

router = APIRouter(include_in_schema=False)

SmsReader = Annotated[StaffAccount, Depends(require(SMS_READ))]
PAGE_SIZE = 50


@router.get("/sms")
def sms_page(
    request: Request, session: DbSession, principal: SmsReader, state: str = "", template: str = "", offset: str = "0"
) -> Response:
    """The outbox, newest first, a page at a time, filtered by state and by kind of message."""
    # The demo's gateway is simulated: its page shows the codes, so that a visitor can activate an account.
    reveal = bool(getattr(request.app.state, "demo_reveals_sms_codes", False))
    scope = commune_scope(principal)
    templates = service.sms_templates(session=session, commune_code=scope)
    chosen_state = NotificationState(state) if state in {s.value for s in NotificationState} else None
    chosen_template = template if template in templates else None
    start = int(offset) if offset.isdigit() else 0
    total = service.count_sms(session=session, state=chosen_state, template=chosen_template, commune_code=scope)
    messages = service.list_sms(
        session=session,
        limit=PAGE_SIZE,
        offset=start,
        state=chosen_state,
        template=chosen_template,
        reveal_codes=reveal,
        commune_code=scope,
    )
    values = {
        "messages": messages,
        "tz": TIME_ZONE,
        "revealed": reveal,
        "states": list(NotificationState),
        "templates": templates,
        "form": {"state": chosen_state.value if chosen_state else "", "template": chosen_template or ""},
        "first": start + 1,
        "last": start + len(messages),
        "total": total,
        "previous": url_with(request, offset=str(max(0, start - PAGE_SIZE))) if start > 0 else None,
        "next": url_with(request, offset=str(start + PAGE_SIZE)) if start + len(messages) < total else None,
    }
    return render(request, "notify/sms.html", values, principal=principal)
