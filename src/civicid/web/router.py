"""The API of the web capability: staff login and logout, and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from civicid import __version__
from civicid.core.errors import DatabaseUnavailable
from civicid.core.outage import database_answers
from civicid.web import staff_service
from civicid.web.auth import LoggedIn, login
from civicid.web.deps import SESSION_COOKIE, AppContext, DbSession, session_token
from civicid.web.problems import problem_responses
from civicid.web.schemas import Health, LoginIn, LoginOut

router = APIRouter(tags=["auth"])


def set_session_cookie(response: Response, request: Request, logged_in: LoggedIn, max_age: int) -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        logged_in.token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.post("/auth/login", responses=problem_responses(401, 422, 429))
def login_route(body: LoginIn, request: Request, response: Response, context: AppContext) -> LoginOut:
    """Exchange a username and password for a session token (also set as the session cookie)."""
    logged_in = login(context, username=body.username, password=body.password)
    set_session_cookie(response, request, logged_in, context.settings.session_hours * 3600)
    return LoginOut(
        token=logged_in.token,
        expires_at=logged_in.expires_at,
        username=logged_in.account.username,
        role=logged_in.account.role,
    )


@router.post("/auth/logout", status_code=204)
def logout_route(request: Request, context: AppContext, session: DbSession) -> Response:
    """End the session of the presented token or cookie; ending an unknown session is not an error."""
    token = session_token(request)
    if token is not None:
        staff_service.logout(session=session, clock=context.clock, token=token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/health", tags=["health"], responses=problem_responses(503))
def health(context: AppContext) -> Health:
    """Whether the server and its database answer: 503 ``database_unavailable`` when the database does not.

    One trivial read on a pooled connection and no transaction (:func:`database_answers`), so a
    load balancer may ask every second.
    """
    if not database_answers(context.database.engine):
        raise DatabaseUnavailable("the database is not answering", database="unavailable", version=__version__)
    return Health(status="ok", version=__version__, database="ok")
