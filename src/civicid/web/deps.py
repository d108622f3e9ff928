"""FastAPI dependencies every router shares: the context, one transaction per request, the principal.

Routers declare ``session: DbSession`` and ``context: AppContext``; they never open or commit a
transaction themselves (docs: core/database.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from civicid.core.database import unit_of_work
from civicid.core.runtime import Context

SESSION_COOKIE = "civicid_session"


def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


AppContext = Annotated[Context, Depends(get_context)]


def get_session(context: AppContext) -> Iterator[Session]:
    """One unit of work per request: committed before the response is sent, rolled back on any error."""
    with unit_of_work(context.database.sessions) as session:
        yield session


# scope="function" closes the dependency (commits) before the response is sent, so a client never
# sees a success whose commit then failed.
DbSession = Annotated[Session, Depends(get_session, scope="function")]


def session_token(request: Request) -> str | None:
    """The staff session token: ``Authorization: Bearer`` for API clients, else the session cookie."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(SESSION_COOKIE) or None
