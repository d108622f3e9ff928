"""Pages of the web capability: login, logout, the home page and the problem-type pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.core.errors import CivicIDError, NotFound
from civicid.web import staff_service
from civicid.web.auth import login
from civicid.web.deps import SESSION_COOKIE, AppContext, DbSession, session_token
from civicid.web.errors import AccountLocked
from civicid.web.roles import Principal, optional_principal
from civicid.web.router import set_session_cookie
from civicid.web.staff import StaffAccount
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path of this site: ``//evil.example`` or ``https://…`` would make the login an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(
    request: Request,
    principal: Annotated[StaffAccount | None, Depends(optional_principal)],
    next: str | None = None,
) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "username": "", "error": None})


@router.post("/login")
def login_submit(
    request: Request,
    context: AppContext,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the form; on a refusal show the form again with one readable message, never a trace."""
    target = safe_next(next)
    values = {"next": target, "username": username}
    if not username.strip() or not password:
        return render(request, "login.html", {**values, "error": "login.error.missing"}, status_code=400)
    try:
        logged_in = login(context, username=username, password=password)
    except CivicIDError as exc:
        error = "login.error.locked" if isinstance(exc, AccountLocked) else "login.error.invalid"
        return render(request, "login.html", {**values, "error": error}, status_code=exc.status)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, logged_in, context.settings.session_hours * 3600)
    return response


@router.post("/logout")
def logout_submit(request: Request, context: AppContext, session: DbSession) -> Response:
    token = session_token(request)
    if token is not None:
        staff_service.logout(session=session, clock=context.clock, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@dataclass(frozen=True)
class Glance:
    """The commune a staff member serves, by name, and its key figures: (translation key, number)."""

    commune_name: str
    province_name: str
    figures: list[tuple[str, int]] = field(default_factory=list)


class HomeGlance(Protocol):
    """What the home page shows of the capabilities above the web toolkit (``app.state.home_glance``)."""

    def __call__(self, *, session: Session, commune_code: str) -> Glance | None: ...


@router.get("/")
def home_page(request: Request, session: DbSession, principal: Principal) -> Response:
    """The tiles a role may open, under the commune's name and its figures at a glance."""
    glance = None
    source: HomeGlance | None = getattr(request.app.state, "home_glance", None)
    if source is not None and principal.commune_code:
        glance = source(session=session, commune_code=principal.commune_code)
    return render(request, "home.html", {"glance": glance}, principal=principal)


@router.get("/problems/{code}")
def problem_type_page(request: Request, code: str) -> Response:
    """What a problem ``type`` URI names: the problem's code and title, for people who follow it."""
    titles = known_problems()
    if code not in titles:
        raise NotFound(f"no problem type {code!r}")
    return render(request, "problem_type.html", {"code": code, "title": titles[code]})


def known_problems() -> dict[str, str]:
    titles = {
        "validation_error": "The request is not valid",
        "not_found": "Not found",
        "method_not_allowed": "Method not allowed",
        "internal_error": "Internal server error",
        "cross_origin_request": "Cross-origin request refused",
    }
    pending: list[type[CivicIDError]] = [CivicIDError]
    while pending:
        kind = pending.pop()
        titles.setdefault(kind.code, kind.title)
        pending.extend(kind.__subclasses__())
    return titles
