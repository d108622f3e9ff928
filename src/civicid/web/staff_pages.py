"""The administrator's page of staff accounts (``/staff``): list, open, disable, enable, reset a password.

Only the ``staff:manage`` permission (the admin role) opens it, checked on the server by
:func:`~civicid.web.roles.require`; any other role gets the 403 page. Every change goes through
``staff_service``, which hashes with Argon2id and audits it (never a password in the audit details),
and the request's unit of work commits. Forms are plain POSTs, protected like every form of the
server by the edge's origin check and SameSite=Strict session cookies (``web/middleware.py``).

A refused change (a taken username, passwords that differ, a short password) comes back as the same
page with one readable sentence and the values typed, never a 500. A password the server generates is
shown once, on the page that answers the change, and stored nowhere but as its hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.core.errors import Conflict, InvalidInput, NotFound
from civicid.core.inputs import RowId
from civicid.web import staff_service
from civicid.web.deps import AppContext, DbSession
from civicid.web.roles import Permission, require
from civicid.web.staff import StaffAccount, StaffRole
from civicid.web.staff_service import staff_actor
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[StaffAccount, Depends(require(Permission.STAFF_MANAGE))]
#: The refusals shown on the page; anything else (403, a database outage) goes to the error page.
FORM_ERRORS = (InvalidInput, Conflict, NotFound)
FormError = InvalidInput | Conflict | NotFound
DONE = frozenset({"created", "disabled", "enabled", "password"})
GENERATED = "generated"


@dataclass(frozen=True)
class Shown:
    """A password the server generated, shown once on the page that answers the change."""

    username: str
    password: str
    done: str


def _page(
    request: Request,
    session: Session,
    principal: StaffAccount,
    *,
    error: FormError | None = None,
    form: dict[str, Any] | None = None,
    shown: Shown | None = None,
    done: str | None = None,
) -> Response:
    """The list and the forms, again with a refusal and the values typed, or with a generated password."""
    values = {
        "accounts": staff_service.list_staff(session=session),
        "last_logins": staff_service.last_logins(session=session),
        "roles": list(StaffRole),
        "error": error,
        "form": form or {},
        "shown": shown,
        "done": shown.done if shown else done if done in DONE else None,
    }
    return render(request, "staff.html", values, principal=principal, status_code=error.status if error else 200)


def _apply(
    request: Request,
    session: Session,
    principal: StaffAccount,
    change: Callable[[], str | Shown],
    form: dict[str, Any],
) -> Response:
    """Apply one change in a savepoint: a refusal undoes it and shows the page again with why; a
    change answers with a redirect (a path) or the page showing a generated password."""
    try:
        with session.begin_nested():
            outcome = change()
    except FORM_ERRORS as exc:
        return _page(request, session, principal, error=exc, form=form)
    if isinstance(outcome, Shown):
        return _page(request, session, principal, shown=outcome)
    return RedirectResponse(outcome, status_code=303)


def _chosen_password(choice: str, password: str, again: str) -> str:
    """The typed password (twice, the same), or a generated one."""
    if choice == GENERATED:
        return staff_service.generated_password()
    if password != again:
        raise InvalidInput("the two passwords differ", field="password_again")
    return password


@router.get("/staff")
def staff_page(request: Request, session: DbSession, principal: Admin, done: str | None = None) -> Response:
    """Every staff account: role, commune, state and last login, with the forms that change them."""
    return _page(request, session, principal, done=done)


@router.post("/staff")
def create_submit(
    request: Request,
    context: AppContext,
    session: DbSession,
    principal: Admin,
    username: Annotated[str, Form(max_length=60)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    commune: Annotated[str, Form(max_length=5)] = "",
    choice: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=staff_service.MAX_PASSWORD_LENGTH)] = "",
    password_again: Annotated[str, Form(max_length=staff_service.MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    """Open an account as ``civicid staff create`` does, with the same service function and rules."""

    def change() -> str | Shown:
        chosen = _chosen_password(choice, password, password_again)
        account = staff_service.create_staff(
            session=session,
            clock=context.clock,
            username=username,
            password=chosen,
            role=role,
            commune_code=commune.strip() or None,
            actor=staff_actor(principal),
        )
        if choice == GENERATED:
            return Shown(account.username, chosen, "created")
        return f"/staff?done=created#staff-{account.id}"

    form = {"username": username, "role": role, "commune": commune, "choice": choice}
    return _apply(request, session, principal, change, form)


@router.post("/staff/{account_id}/active")
def active_submit(
    request: Request,
    account_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Admin,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Disable an account (its sessions end at once) or enable it again."""
    enable = active == "1"

    def change() -> str:
        staff_service.set_active(
            session=session, clock=context.clock, account_id=account_id, active=enable, actor=staff_actor(principal)
        )
        return f"/staff?done={'enabled' if enable else 'disabled'}#staff-{account_id}"

    return _apply(request, session, principal, change, {})


@router.post("/staff/{account_id}/password")
def password_submit(
    request: Request,
    account_id: RowId,
    context: AppContext,
    session: DbSession,
    principal: Admin,
    choice: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=staff_service.MAX_PASSWORD_LENGTH)] = "",
    password_again: Annotated[str, Form(max_length=staff_service.MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    """Give an account a new password, typed twice or generated; its sessions end, a lockout is lifted."""

    def change() -> str | Shown:
        chosen = _chosen_password(choice, password, password_again)
        account = staff_service.reset_password(
            session=session, clock=context.clock, account_id=account_id, password=chosen, actor=staff_actor(principal)
        )
        if choice == GENERATED:
            return Shown(account.username, chosen, "password")
        return f"/staff?done=password#staff-{account_id}"

    return _apply(request, session, principal, change, {"reset_id": account_id, "choice": choice})


__all__ = ["router"]
