"""The staff's pages on e-ID accounts (``/accounts``): who in a village still has to activate, a person's
account with its locks, and the panel the person's page shows.

Scoped like every staff page: a person or village outside the staff member's commune is not found.
Locks are placed by officers (form TK03, a breach, an authority's request) and lifted by supervisors,
with a reason each; the holder's own locks and the registry's are shown, never lifted here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from civicid.accounts import assisted, level1, locks, repository, service
from civicid.accounts.errors import AccountNotFound, AssistedRefused, InvalidAccountInput, LockNotFound, LockNotLiftable
from civicid.accounts.models import OFFICER_GROUNDS, AccountStatus, AssistedDelivery
from civicid.accounts.router import assistant, face_check, secret_hasher, visible_account
from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.inputs import RowId
from civicid.country.zone import TIME_ZONE
from civicid.registry import service as registry
from civicid.registry.ports import Panel
from civicid.registry.schemas import PersonRead
from civicid.web.deps import AppContext, DbSession
from civicid.web.roles import Permission, allows, commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[StaffAccount, Depends(require(Permission.REGISTRY_READ_PERSON))]
Locker = Annotated[StaffAccount, Depends(require(Permission.ACCOUNT_LOCK))]
Unlocker = Annotated[StaffAccount, Depends(require(Permission.ACCOUNT_UNLOCK))]
PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]
VillageId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def account_panel(*, session: Session, clock: Clock, person_id: int) -> Panel | None:
    """The account's panel on the person's page: status, level, dates, what locks it; None without one."""
    account = service.find_account_by_person(session=session, person_id=person_id)
    if account is None:
        return None
    facts = [
        ("accounts.status", f"_:accounts.status.{account.status.value}"),
        ("accounts.level", str(account.level)),
        ("accounts.issued_at", _day(account.issued_at)),
        ("accounts.activated_at", _day(account.activated_at) if account.activated_at else "_:accounts.not_yet"),
    ]
    grounds = sorted(g.value for g in locks.active_grounds(session=session, account_id=account.id))
    if grounds:
        facts.append(("accounts.locked_on", ", ".join(grounds)))
    return Panel("accounts.panel.title", facts, [("accounts.panel.manage", f"/accounts/persons/{person_id}")])


@router.get("/persons/{person_id}")
def account_page(
    request: Request, person_id: PersonId, context: AppContext, session: DbSession, principal: Reader
) -> Response:
    return _account_page(request, context, session, principal, person_id)


@router.post("/persons/{person_id}/locks")
def lock_form(
    request: Request,
    person_id: PersonId,
    context: AppContext,
    session: DbSession,
    principal: Locker,
    ground: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """An officer locks the account (TK03, breach, authority) with a reason."""
    _, account = visible_account(session, context, principal, person_id)
    try:
        locks.place_officer_lock(
            session=session,
            clock=context.clock,
            actor=staff_actor(principal),
            account_id=account.id,
            ground=ground,
            reason=reason,
        )
    except (InvalidAccountInput, LockNotLiftable):
        return _account_page(request, context, session, principal, person_id, error="accounts.lock.error")
    return RedirectResponse(f"/accounts/persons/{person_id}?done=locked", status_code=303)


@router.post("/persons/{person_id}/locks/{lock_id}/lift")
def lift_form(
    request: Request,
    person_id: PersonId,
    lock_id: Annotated[str, Path(max_length=36)],
    context: AppContext,
    session: DbSession,
    principal: Unlocker,
    reason: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """A supervisor lifts an officer's lock with a reason."""
    _, account = visible_account(session, context, principal, person_id)
    try:
        locks.lift_officer_lock(
            session=session,
            clock=context.clock,
            actor=staff_actor(principal),
            account_id=account.id,
            lock_id=lock_id,
            reason=reason,
        )
    except (LockNotFound, LockNotLiftable, InvalidAccountInput):
        return _account_page(request, context, session, principal, person_id, error="accounts.lift.error")
    return RedirectResponse(f"/accounts/persons/{person_id}?done=lifted", status_code=303)


@router.get("/villages/{village_id}/pending")
def pending_page(
    request: Request, village_id: VillageId, context: AppContext, session: DbSession, principal: Reader
) -> Response:
    """Accounts issued in the village and not yet activated: whom the teams must help, those without a
    smartphone first (they need assisted activation)."""
    village = registry.get_village(session=session, village_id=village_id)
    scope = commune_scope(principal)
    if scope is not None and village.commune_code != scope:
        raise AccountNotFound("no such village in this commune")
    residents = registry.village_person_ids(session=session, village_id=village_id)
    waiting = repository.accounts_of_persons(session, residents, AccountStatus.PENDING_ACTIVATION)
    pending = {a.person_id: a for a in waiting}
    persons = registry.persons_of_village(
        session=session, clock=context.clock, actor=staff_actor(principal), village_id=village_id, person_ids=pending
    )
    today = context.clock.today()
    rows = [Waiting(person, pending[person.id].issued_at.astimezone(TIME_ZONE).date(), today) for person in persons]
    rows.sort(key=lambda r: (r.person.has_smartphone, -r.days))
    return render(request, "accounts/pending.html", {"village": village, "rows": rows}, principal=principal)


def _account_page(
    request: Request,
    context: AppContext,
    session: Session,
    principal: StaffAccount,
    person_id: RowId,
    *,
    error: str | None = None,
) -> Response:
    person, account = visible_account(session, context, principal, person_id)
    values = {
        "person": person,
        "account": account,
        "locks": locks.locks_of(session=session, account_id=account.id),
        "officer_grounds": sorted(g.value for g in OFFICER_GROUNDS),
        "may_lock": allows(principal.role, Permission.ACCOUNT_LOCK),
        "may_lift": allows(principal.role, Permission.ACCOUNT_UNLOCK),
        "error": error,
        "done": request.query_params.get("done"),
        "tz": TIME_ZONE,
    }
    return render(request, "accounts/account.html", values, principal=principal, status_code=422 if error else 200)


@dataclass(frozen=True)
class Waiting:
    """A person whose account waits for activation, and since when."""

    person: PersonRead
    issued_on: dt.date
    today: dt.date

    @property
    def days(self) -> int:
        return (self.today - self.issued_on).days


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(TIME_ZONE).strftime("%d/%m/%Y")


# Assisted activation (issue 19): face to face, for someone without a smartphone. The operator checks the
# person against the registry's portrait, records consent and the phone the person names, and the code
# goes by SMS to that phone or shows here for the person to type (accounts/assisted.py).

Assistant = Annotated[StaffAccount, Depends(assistant)]


def assisted_panel(*, session: Session, clock: Clock, person_id: int) -> Panel | None:
    """A link to assisted activation on the person's page, while their account is not yet active."""
    account = service.find_account_by_person(session=session, person_id=person_id)
    if account is not None and account.status is not AccountStatus.PENDING_ACTIVATION:
        return None
    return Panel(
        "accounts.assisted.panel", [], [("accounts.assisted.start", f"/accounts/persons/{person_id}/assisted")]
    )


@router.get("/persons/{person_id}/portrait")
def registry_portrait(
    request: Request, person_id: PersonId, context: AppContext, session: DbSession, principal: Assistant
) -> Response:
    """The registry's portrait, for the operator's face-to-face check (an SVG under a policy that runs nothing)."""
    person = _assisted_person(session, context, principal, person_id)
    image = _faces(request).portraits.portrait(person_id=person.id, id_number=person.id_number)
    if image is None:
        raise AccountNotFound("the registry holds no portrait of this person")
    media = (
        "image/svg+xml"
        if image.lstrip().startswith(b"<svg")
        else "image/png"
        if image.startswith(b"\x89PNG")
        else "image/jpeg"
    )
    headers = {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        "Cache-Control": "no-store",
    }
    return Response(image, media_type=media, headers=headers)


@router.get("/persons/{person_id}/assisted")
def assisted_page(
    request: Request, person_id: PersonId, context: AppContext, session: DbSession, principal: Assistant
) -> Response:
    person = _assisted_person(session, context, principal, person_id)
    return _assisted_form(request, person, principal)


@router.post("/persons/{person_id}/assisted")
def assisted_start_form(
    request: Request,
    person_id: PersonId,
    context: AppContext,
    principal: Assistant,
    identity_checked: Annotated[str, Form(max_length=5)] = "",
    consent: Annotated[str, Form(max_length=5)] = "",
    delivery: Annotated[str, Form(max_length=10)] = "screen",
    contact_phone: Annotated[str, Form(max_length=20)] = "",
    contact_relation: Annotated[str, Form(max_length=40)] = "self",
) -> Response:
    """Start: consent recorded, code sent or shown. A refusal is committed (audited), then shown on the form."""
    hasher = secret_hasher(request)
    refusal: AssistedRefused | None = None
    with unit_of_work(context.database.sessions) as session:
        person = _assisted_person(session, context, principal, person_id)
        try:
            started = assisted.start_assisted(
                session=session,
                clock=context.clock,
                operator=staff_actor(principal),
                commune_code=commune_scope(principal),
                person_id=person_id,
                identity_checked=identity_checked == "yes",
                consent=consent == "yes",
                delivery=AssistedDelivery.SMS if delivery == "sms" else AssistedDelivery.SCREEN,
                contact_phone=contact_phone or None,
                contact_relation=contact_relation,
                hasher=hasher,
            )
        except AssistedRefused as exc:
            refusal = exc
    if refusal is not None:
        return _assisted_form(request, person, principal, error=str(refusal.extensions["reason"]))
    values = {"person": person, "started": started, "activation_id": started.activation_id, "error": None}
    return render(request, "accounts/assisted_code.html", values, principal=principal)


@router.post("/assisted/{activation_id}/confirm")
def assisted_confirm_form(
    request: Request,
    activation_id: Annotated[str, Path(max_length=36)],
    context: AppContext,
    principal: Assistant,
    code: Annotated[str, Form(max_length=10)] = "",
    person_id: Annotated[int, Form(ge=1, le=2**31 - 1)] = 1,
) -> Response:
    """The person typed the code: the account is active; the page offers the paper card."""
    refusal: AssistedRefused | None = None
    with unit_of_work(context.database.sessions) as session:
        person = _assisted_person(session, context, principal, person_id)
        try:
            assisted.confirm_assisted(
                session=session,
                clock=context.clock,
                operator=staff_actor(principal),
                commune_code=commune_scope(principal),
                activation_id=activation_id,
                code=code,
                hasher=secret_hasher(request),
            )
        except AssistedRefused as exc:
            refusal = exc
    if refusal is not None:
        values = {
            "person": person,
            "started": None,
            "activation_id": activation_id,
            "error": str(refusal.extensions["reason"]),
        }
        return render(request, "accounts/assisted_code.html", values, principal=principal, status_code=422)
    return RedirectResponse(f"/accounts/persons/{person_id}?done=assisted", status_code=303)


def _assisted_person(session: Session, context: AppContext, principal: StaffAccount, person_id: int) -> PersonRead:
    return registry.get_person(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        person_id=person_id,
        commune_code=commune_scope(principal),
    )


def _assisted_form(
    request: Request, person: PersonRead, principal: StaffAccount, *, error: str | None = None
) -> Response:
    values = {
        "person": person,
        "relations": assisted.RELATIONS,
        "limit": assisted.MAX_ACCOUNTS_PER_CONTACT_PHONE,
        "simulated": _faces(request).simulated,
        "error": error,
    }
    return render(request, "accounts/assisted.html", values, principal=principal, status_code=422 if error else 200)


def _faces(request: Request) -> level1.FaceCheck:
    return face_check(request)
