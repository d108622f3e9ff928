"""Logging in from the API and the login page: the transaction rules around :func:`authenticate`.

A refused login must still count (the lockout counter and the audit entry), so logging in runs in a
transaction of its own that commits before the refusal is raised to the edge. The routes that call
:func:`login` therefore never also take the request's ``DbSession``: on SQLite the two write
transactions would wait for each other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context
from civicid.web import staff_service
from civicid.web.errors import AccountLocked, InvalidCredentials
from civicid.web.staff import StaffAccount


@dataclass(frozen=True)
class LoggedIn:
    token: str
    account: StaffAccount
    expires_at: dt.datetime


def login(context: Context, *, username: str, password: str) -> LoggedIn:
    lifetime = dt.timedelta(hours=context.settings.session_hours)
    refusal: CivicIDError | None = None
    with unit_of_work(context.database.sessions) as session:
        try:
            token = staff_service.authenticate(
                session=session, clock=context.clock, username=username, password=password, lifetime=lifetime
            )
            account = staff_service.resolve_session(session=session, clock=context.clock, token=token)
        except (InvalidCredentials, AccountLocked) as exc:
            refusal = exc
    if refusal is not None:
        raise refusal
    return LoggedIn(token=token, account=account, expires_at=context.clock.now() + lifetime)
