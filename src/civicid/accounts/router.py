"""The accounts' JSON API (``/api/v1/accounts``): staff reads, and the holder's activation, login and devices.

The holder's routes that can record a refusal (a wrong code, a wrong password) run their own unit of
work and raise the refusal only after it committed, so the counters outlive the refused request;
they never also take the request's ``DbSession`` (web/auth.py says why).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from civicid.accounts import activation, login, service
from civicid.accounts.codes import TICKET_LIFETIME
from civicid.accounts.errors import RECORDED_REFUSALS
from civicid.accounts.hashing import PRODUCTION, SecretHasher
from civicid.accounts.models import AccountStatus
from civicid.accounts.ports import HolderArrival, nothing_on_arrival
from civicid.accounts.schemas import (
    AccountRead,
    ActivationCodeIn,
    ActivationCompleteIn,
    ActivationOut,
    ActivationVerifyIn,
    CodeSent,
    DeviceBindIn,
    DeviceCodeIn,
    HolderSessionOut,
    LoginIn,
    Ticket,
)
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.registry import service as registry
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses
from civicid.web.roles import Permission, commune_scope, require
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import staff_actor

router = APIRouter(tags=["accounts"])

Reader = Annotated[StaffAccount, Depends(require(Permission.REGISTRY_READ_PERSON))]
T = TypeVar("T")


def secret_hasher(request: Request) -> SecretHasher:
    """Argon2id's production profile, unless the app was built with another (tests, the synthetic demo)."""
    hasher = getattr(request.app.state, "secret_hasher", None)
    return hasher if isinstance(hasher, SecretHasher) else PRODUCTION


def holder_arrival(request: Request) -> HolderArrival:
    """What the app factory plugged in for a holder's arrival (the wallet's agencies); nothing otherwise."""
    arrival: HolderArrival | None = getattr(request.app.state, "holder_arrival", None)
    return arrival or nothing_on_arrival


Hasher = Annotated[SecretHasher, Depends(secret_hasher)]
OnArrival = Annotated[HolderArrival, Depends(holder_arrival)]


def _recorded(context: AppContext, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a transaction that commits even when it refuses with a recorded refusal."""
    refusal: CivicIDError | None = None
    with unit_of_work(context.database.sessions) as session:
        try:
            return work(session)
        except RECORDED_REFUSALS as exc:
            refusal = exc
    raise refusal


def _session_out(done: login.HolderLogin) -> HolderSessionOut:
    return HolderSessionOut(
        token=done.token, account_id=done.account_id, device_id=done.device_id, expires_at=done.expires_at
    )


@router.post("/activation/code", status_code=202, responses=problem_responses(422))
def request_activation_code(body: ActivationCodeIn, context: AppContext, hasher: Hasher) -> CodeSent:
    """Step 1: send an activation code by SMS. The answer is the same whether or not the ID number and
    phone number belong to an account waiting for activation."""
    with unit_of_work(context.database.sessions) as session:
        sent = activation.request_activation_code(
            session=session, clock=context.clock, id_number=body.id_number, phone=body.phone, hasher=hasher
        )
    return CodeSent(expires_in_seconds=sent.expires_in_seconds)


@router.post("/activation/verify", responses=problem_responses(400, 422))
def verify_activation_code(body: ActivationVerifyIn, context: AppContext, hasher: Hasher) -> Ticket:
    """Step 2: the code from the SMS buys a single-use ticket for step 3. Wrong, expired, used and unknown
    codes get the same ``invalid_code`` problem; five wrong tries kill the code."""
    ticket = _recorded(
        context,
        lambda session: activation.verify_activation_code(
            session=session,
            clock=context.clock,
            id_number=body.id_number,
            phone=body.phone,
            code=body.code,
            hasher=hasher,
        ),
    )
    return Ticket(ticket=ticket, expires_in_seconds=int(TICKET_LIFETIME.total_seconds()))


@router.post("/activation/complete", responses=problem_responses(401, 422))
def complete_activation(
    body: ActivationCompleteIn, context: AppContext, session: DbSession, hasher: Hasher, on_arrival: OnArrival
) -> ActivationOut:
    """Step 3: password, passcode, two security questions and the device's key; the account becomes active
    and the wallet's documents are put to their agencies."""
    done = activation.complete_activation(
        session=session,
        clock=context.clock,
        ticket=body.ticket,
        password=body.password,
        passcode=body.passcode,
        answers=[activation.SecurityAnswer(a.question, a.answer) for a in body.security_answers],
        device_public_jwk=body.device_public_jwk,
        on_arrival=on_arrival,
        hasher=hasher,
    )
    return ActivationOut(
        account_id=done.account_id,
        status=AccountStatus.ACTIVE,
        device_id=done.device_id,
        documents_integrated=done.documents_integrated,
        documents_refused=done.documents_refused,
    )


@router.post("/login", responses=problem_responses(401, 403, 422, 423))
def holder_login(body: LoginIn, context: AppContext, hasher: Hasher, on_arrival: OnArrival) -> HolderSessionOut:
    """ID number and password from the bound device (its proof of possession); five wrong passwords lock
    login for 15 minutes."""
    done = _recorded(
        context,
        lambda session: login.login(
            session=session,
            clock=context.clock,
            id_number=body.id_number,
            password=body.password,
            device_proof=body.device_proof,
            on_arrival=on_arrival,
            hasher=hasher,
        ),
    )
    return _session_out(done)


@router.post("/devices/code", status_code=202, responses=problem_responses(401, 422, 423))
def request_device_code(body: DeviceCodeIn, context: AppContext, hasher: Hasher) -> CodeSent:
    """A new phone: after the password, an SMS code goes to the account's phone number."""
    sent = _recorded(
        context,
        lambda session: login.request_device_code(
            session=session, clock=context.clock, id_number=body.id_number, password=body.password, hasher=hasher
        ),
    )
    return CodeSent(expires_in_seconds=sent.expires_in_seconds)


@router.post("/devices/bind", responses=problem_responses(400, 401, 422, 423))
def bind_device(body: DeviceBindIn, context: AppContext, hasher: Hasher) -> HolderSessionOut:
    """Bind the new phone with the SMS code; the old phone is unbound and its sessions end."""
    done = _recorded(
        context,
        lambda session: login.bind_new_device(
            session=session,
            clock=context.clock,
            id_number=body.id_number,
            password=body.password,
            code=body.code,
            device_public_jwk=body.device_public_jwk,
            device_proof=body.device_proof,
            hasher=hasher,
        ),
    )
    return _session_out(done)


@router.get("/{person_id}", responses=problem_responses(401, 403, 404))
def get_account(person_id: int, context: AppContext, session: DbSession, principal: Reader) -> AccountRead:
    """A person's e-ID account. It is part of the person's record: the read is audited as one, and a
    person outside the staff member's commune is not found."""
    registry.get_person(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        person_id=person_id,
        commune_code=commune_scope(principal),
    )
    return service.get_account_by_person(session=session, person_id=person_id)
