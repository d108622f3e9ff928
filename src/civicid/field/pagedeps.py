"""What the kit's pages share: the app's state, operator logins, one transaction per request.

The kit is a shared device: each operator logs in, every capture and review names who did it, and
the logout button is on every page. A login is a random token in an HTTP-only, SameSite=Strict
cookie; the tokens live only in the serving process's memory, so a restarted (or stolen and
rebooted) kit asks everyone to log in again and no session secret is ever written to its disk.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.core.clock import Clock
from civicid.core.errors import Forbidden, NotAuthenticated
from civicid.field.kit import Kit
from civicid.field.models import KitOperator, OperatorRole
from civicid.field.sources import BiometricSource
from civicid.field.syncing import SyncRunner

KIT_SESSION_COOKIE = "civicid_kit_session"
LOGIN_LIFETIME = dt.timedelta(hours=12)  # one working day; the next day starts with a new login


@dataclass
class Logins:
    """Open logins of this process: token → (user name, expiry)."""

    lifetime: dt.timedelta = LOGIN_LIFETIME
    _open: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, username: str, now: dt.datetime) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._open[token] = (username, now + self.lifetime)
        return token

    def who(self, token: str | None, now: dt.datetime) -> str | None:
        """The user name behind ``token``, or None if it is unknown or expired (then forgotten)."""
        if not token:
            return None
        with self._lock:
            entry = self._open.get(token)
            if entry is None:
                return None
            if entry[1] <= now:
                del self._open[token]
                return None
            return entry[0]

    def close(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._open.pop(token, None)


@dataclass
class KitWeb:
    """Everything a page of the kit needs, kept on ``app.state.kit_web``."""

    kit: Kit
    clock: Clock
    source: BiometricSource
    sync: SyncRunner
    logins: Logins = field(default_factory=Logins)


def kit_web(request: Request) -> KitWeb:
    state: KitWeb = request.app.state.kit_web
    return state


KitWebDep = Annotated[KitWeb, Depends(kit_web)]


def kit_session(web: KitWebDep) -> Iterator[Session]:
    """One transaction per request, committed before the response leaves (``scope="function"``)."""
    with web.kit.transaction() as session:
        yield session


KitSession = Annotated[Session, Depends(kit_session, scope="function")]


def login_token(request: Request) -> str | None:
    return request.cookies.get(KIT_SESSION_COOKIE) or None


def optional_operator(request: Request, web: KitWebDep, session: KitSession) -> KitOperator | None:
    username = web.logins.who(login_token(request), web.clock.now())
    return session.get(KitOperator, username) if username is not None else None


def current_operator(operator: Annotated[KitOperator | None, Depends(optional_operator)]) -> KitOperator:
    """The logged-in operator; a visitor who is not is sent to the login page (``web/problems.py``)."""
    if operator is None:
        raise NotAuthenticated("log in on this kit first")
    return operator


def current_supervisor(operator: Annotated[KitOperator, Depends(current_operator)]) -> KitOperator:
    if operator.role is not OperatorRole.SUPERVISOR:
        raise Forbidden("only a supervisor reviews the day's captures")
    return operator


Operator = Annotated[KitOperator, Depends(current_operator)]
Supervisor = Annotated[KitOperator, Depends(current_supervisor)]


def set_login_cookie(response: Response, token: str, lifetime: dt.timedelta) -> None:
    response.set_cookie(
        KIT_SESSION_COOKIE,
        token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        path="/",
    )


def clear_login_cookie(response: Response) -> None:
    response.delete_cookie(KIT_SESSION_COOKIE, path="/", httponly=True, samesite="strict")
