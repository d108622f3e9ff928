"""The accounts' JSON API (``/api/v1/accounts``): the holder's activation, login, devices, locks and history,
and the staff's reads and locks of a person's account (``/persons/{person_id}``).

The holder's routes that can record a refusal (a wrong code, a wrong password) run their own unit of
work and raise the refusal only after it committed, so the counters outlive the refused request;
they never also take the request's ``DbSession`` (web/auth.py says why).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from sqlalchemy.orm import Session

from civicid.accounts import (
    activation,
    assisted,
    challenges,
    children,
    holder,
    level1,
    locks,
    login,
    questions,
    service,
)
from civicid.accounts.codes import TICKET_LIFETIME
from civicid.accounts.errors import RECORDED_REFUSALS, InvalidHolderInput, Level1Unavailable
from civicid.accounts.hashing import PRODUCTION, SecretHasher, mask_phone
from civicid.accounts.models import AccountStatus, AssistedDelivery, CodePurpose, LockGround
from civicid.accounts.passcode import verify_passcode
from civicid.accounts.ports import HolderArrival, nothing_on_arrival
from civicid.accounts.schemas import (
    AccountRead,
    ActivationCodeIn,
    ActivationCompleteIn,
    ActivationOut,
    ActivationVerifyIn,
    AssistedConfirmIn,
    AssistedIn,
    AssistedOut,
    ChallengeOut,
    ChildIn,
    ChildRead,
    CodeSent,
    DeviceBindIn,
    DeviceCodeIn,
    DeviceRead,
    HistoryEntryRead,
    HistoryPage,
    HolderAccountRead,
    HolderCodeIn,
    HolderSessionOut,
    Level1In,
    Level1Out,
    LiftIn,
    LockIn,
    LockOut,
    LockRead,
    LoginIn,
    LostPhoneIn,
    PasscodeIn,
    SecurityQuestionRead,
    Ticket,
    UnlockIn,
)
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError, Forbidden, NotAuthenticated
from civicid.registry import service as registry
from civicid.registry.schemas import PersonRead
from civicid.web.deps import AppContext, DbSession, session_token
from civicid.web.problems import problem_responses
from civicid.web.roles import Permission, allows, commune_scope, require
from civicid.web.routes import MIB, body_limit
from civicid.web.staff import StaffAccount
from civicid.web.staff_service import resolve_session, staff_actor

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


def recorded(
    context: AppContext,
    work: Callable[[Session], T],
    refusals: tuple[type[CivicIDError], ...] = RECORDED_REFUSALS,
) -> T:
    """Run ``work`` in a transaction that commits even when it refuses with one of ``refusals``, then raise it."""
    refusal: CivicIDError | None = None
    with unit_of_work(context.database.sessions) as session:
        try:
            return work(session)
        except refusals as exc:
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
    ticket = recorded(
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
        documents_pending=done.documents_pending,
    )


@router.post("/login", responses=problem_responses(401, 403, 422, 423))
def holder_login(body: LoginIn, context: AppContext, hasher: Hasher, on_arrival: OnArrival) -> HolderSessionOut:
    """ID number and password from the bound device (its proof of possession); five wrong passwords lock
    login for 15 minutes."""
    done = recorded(
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
    sent = recorded(
        context,
        lambda session: login.request_device_code(
            session=session, clock=context.clock, id_number=body.id_number, password=body.password, hasher=hasher
        ),
    )
    return CodeSent(expires_in_seconds=sent.expires_in_seconds)


@router.post("/devices/bind", responses=problem_responses(400, 401, 422, 423))
def bind_device(body: DeviceBindIn, context: AppContext, hasher: Hasher) -> HolderSessionOut:
    """Bind the new phone with the SMS code; the old phone is unbound and its sessions end."""
    done = recorded(
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


# The holder's own account (a session from login, on its device) ---------------------------------


@dataclass(frozen=True)
class HolderRequest:
    """The holder a request speaks for, and the session token it came with."""

    holder: login.Holder
    token: str


def current_holder(
    context: AppContext,
    token: Annotated[str | None, Depends(session_token)],
    device: Annotated[str | None, Header(alias="CivicID-Device", max_length=64)] = None,
) -> HolderRequest:
    """The holder of ``Authorization: Bearer <token>`` on the device named by ``CivicID-Device``.

    Resolved in a short transaction of its own, done before the route's: the routes that record a
    refusal open theirs (``recorded``), and on SQLite two write transactions at once would wait for
    each other.
    """
    if not token or not device:
        raise NotAuthenticated("a holder's session token and the device it was opened on are needed")
    with unit_of_work(context.database.sessions) as session:
        return HolderRequest(
            login.resolve_session(session=session, clock=context.clock, token=token, device_id=device), token
        )


CurrentHolder = Annotated[HolderRequest, Depends(current_holder)]


@router.get("/security-questions")
def get_security_questions() -> list[SecurityQuestionRead]:
    """The questions a holder chooses two of at activation; ``id`` is what activation sends."""
    return [SecurityQuestionRead(id=q.id, vi=q.vi, en=q.en) for q in questions.OFFERED]


@router.post("/challenge")
def post_challenge(context: AppContext, session: DbSession) -> ChallengeOut:
    """A single-use nonce that the next device proof (login, binding a device) must answer."""
    nonce = challenges.issue_challenge(session=session, clock=context.clock)
    return ChallengeOut(nonce=nonce, expires_in_seconds=int(challenges.CHALLENGE_LIFETIME.total_seconds()))


@router.get("/me", responses=problem_responses(401))
def get_me(request: CurrentHolder, session: DbSession) -> HolderAccountRead:
    holder = request.holder
    account = service.get_account(session=session, account_id=holder.account_id)
    return HolderAccountRead(
        account_id=account.id,
        level=account.level,
        status=account.status,
        activated_at=account.activated_at,
        phone=mask_phone(account.phone),
        device_id=holder.device_id,
        session_expires_at=holder.session_expires_at,
    )


@router.post("/me/logout", status_code=204, responses=problem_responses(401))
def post_logout(request: CurrentHolder, context: AppContext, session: DbSession) -> None:
    """End this session."""
    login.logout(session=session, clock=context.clock, holder=request.holder, token=request.token)


@router.post("/me/logout-everywhere", status_code=204, responses=problem_responses(401, 403, 422, 423))
def post_logout_everywhere(body: PasscodeIn, request: CurrentHolder, context: AppContext, hasher: Hasher) -> None:
    """End every session of the account, on every device; confirmed with the passcode."""
    recorded(
        context,
        lambda session: _confirmed_logout_everywhere(session, context, request, body.passcode, hasher),
    )


def _confirmed_logout_everywhere(
    session: Session, context: AppContext, request: HolderRequest, passcode: str, hasher: SecretHasher
) -> None:
    verify_passcode(
        session=session,
        clock=context.clock,
        account_id=request.holder.account_id,
        passcode=passcode,
        action="logout_everywhere",
        hasher=hasher,
    )
    login.logout(session=session, clock=context.clock, holder=request.holder, token=request.token, everywhere=True)


@router.post("/me/passcode/check", status_code=204, responses=problem_responses(401, 403, 422, 423))
def post_passcode_check(body: PasscodeIn, request: CurrentHolder, context: AppContext, hasher: Hasher) -> None:
    """Check the passcode before a sensitive step the app confirms locally; five wrong ones end the sessions."""
    recorded(
        context,
        lambda session: verify_passcode(
            session=session,
            clock=context.clock,
            account_id=request.holder.account_id,
            passcode=body.passcode,
            action="check",
            hasher=hasher,
        ),
    )


@router.post("/me/lock", responses=problem_responses(401, 403, 422, 423))
def post_lock(body: PasscodeIn, request: CurrentHolder, context: AppContext, hasher: Hasher) -> LockOut:
    """Lock the account from the app, with the passcode; every session ends."""
    recorded(
        context,
        lambda session: holder.lock_self(
            session=session, clock=context.clock, holder=request.holder, passcode=body.passcode, hasher=hasher
        ),
    )
    return LockOut(status=AccountStatus.LOCKED, grounds=[LockGround.HOLDER.value])


@router.get("/me/devices", responses=problem_responses(401))
def get_devices(request: CurrentHolder, session: DbSession) -> list[DeviceRead]:
    """The bound device first, then those bound before it."""
    return [DeviceRead(**vars(d)) for d in holder.devices_of(session=session, holder=request.holder)]


@router.get("/me/history", responses=problem_responses(401, 422))
def get_history(
    request: CurrentHolder,
    context: AppContext,
    session: DbSession,
    before: Annotated[
        int | None, Query(ge=1, le=2**62, description="The next page: the last page's next_before.")
    ] = None,
) -> HistoryPage:
    """The account's usage history, newest first, five years back: reads of the record, logins, staff actions."""
    entries = holder.usage_history(session=session, clock=context.clock, holder=request.holder, before_seq=before)
    more = len(entries) == holder.HISTORY_PAGE
    return HistoryPage(
        entries=[HistoryEntryRead(**vars(e)) for e in entries], next_before=entries[-1].seq if more else None
    )


@router.get("/me/locks", responses=problem_responses(401))
def get_my_locks(request: CurrentHolder, session: DbSession) -> list[LockRead]:
    """The account's locking history, newest first."""
    return [
        LockRead(**lock.model_dump()) for lock in locks.locks_of(session=session, account_id=request.holder.account_id)
    ]


# From any browser, without the phone ----------------------------------------------------------------


@router.post("/lost-phone/code", status_code=202, responses=problem_responses(401, 422, 423))
def request_lost_phone_code(body: HolderCodeIn, context: AppContext, hasher: Hasher) -> CodeSent:
    """ "I lost my phone": after the password, an SMS code to the account's number (a new SIM keeps it)."""
    return _code(context, body, CodePurpose.LOST_PHONE, hasher)


@router.post("/lost-phone/lock", responses=problem_responses(400, 401, 422, 423))
def lock_lost_phone(body: LostPhoneIn, context: AppContext, hasher: Hasher) -> LockOut:
    """Lock the account and unbind the lost phone, with the password and the SMS code."""
    recorded(
        context,
        lambda session: holder.lock_lost_phone(
            session=session,
            clock=context.clock,
            id_number=body.id_number,
            password=body.password,
            code=body.code,
            hasher=hasher,
        ),
    )
    return LockOut(status=AccountStatus.LOCKED, grounds=[LockGround.HOLDER.value])


@router.post("/unlock/code", status_code=202, responses=problem_responses(401, 422, 423))
def request_unlock_code(body: HolderCodeIn, context: AppContext, hasher: Hasher) -> CodeSent:
    """Lifting one's own lock starts with the password; an SMS code follows."""
    return _code(context, body, CodePurpose.UNLOCK, hasher)


@router.post("/unlock", responses=problem_responses(400, 401, 403, 409, 422, 423))
def unlock(body: UnlockIn, context: AppContext, hasher: Hasher) -> LockOut:
    """Lift the holder's own locks with password, passcode and SMS code; an officer's or the registry's stay."""
    done = recorded(
        context,
        lambda session: holder.unlock_self(
            session=session,
            clock=context.clock,
            id_number=body.id_number,
            password=body.password,
            passcode=body.passcode,
            code=body.code,
            hasher=hasher,
        ),
    )
    return LockOut(status=done.status, grounds=done.grounds_left)


def _code(context: AppContext, body: HolderCodeIn, purpose: CodePurpose, hasher: SecretHasher) -> CodeSent:
    sent = recorded(
        context,
        lambda session: holder.request_code(
            session=session,
            clock=context.clock,
            id_number=body.id_number,
            password=body.password,
            purpose=purpose,
            hasher=hasher,
        ),
    )
    return CodeSent(expires_in_seconds=sent.expires_in_seconds)


# Staff: a person's account, its locks (form TK03 and decisions) -----------------------------------

Locker = Annotated[StaffAccount, Depends(require(Permission.ACCOUNT_LOCK))]
Unlocker = Annotated[StaffAccount, Depends(require(Permission.ACCOUNT_UNLOCK))]
PersonId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/persons/{person_id}", responses=problem_responses(401, 403, 404))
def get_account(person_id: PersonId, context: AppContext, session: DbSession, principal: Reader) -> AccountRead:
    """A person's e-ID account. It is part of the person's record: the read is audited as one, and a
    person outside the staff member's commune is not found."""
    return _visible_account(session, context, principal, person_id)


@router.get("/persons/{person_id}/locks", responses=problem_responses(401, 403, 404))
def get_locks(person_id: PersonId, context: AppContext, session: DbSession, principal: Reader) -> list[LockRead]:
    """The locking history of a person's account."""
    account = _visible_account(session, context, principal, person_id)
    return [LockRead(**lock.model_dump()) for lock in locks.locks_of(session=session, account_id=account.id)]


@router.post("/persons/{person_id}/locks", status_code=201, responses=problem_responses(401, 403, 404, 409, 422))
def post_lock_by_officer(
    person_id: PersonId, body: LockIn, context: AppContext, session: DbSession, principal: Locker
) -> LockRead:
    """Lock a person's account on form TK03 (the holder asked at the police), a breach, or an authority's request."""
    account = _visible_account(session, context, principal, person_id)
    lock = locks.place_officer_lock(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        account_id=account.id,
        ground=body.ground,
        reason=body.reason,
    )
    return LockRead(**lock.model_dump())


@router.post("/persons/{person_id}/locks/{lock_id}/lift", responses=problem_responses(401, 403, 404, 409, 422))
def post_lift(
    person_id: PersonId,
    lock_id: Annotated[str, Path(max_length=36)],
    body: LiftIn,
    context: AppContext,
    session: DbSession,
    principal: Unlocker,
) -> LockRead:
    """A supervisor lifts an officer's lock; the account unlocks when no ground remains."""
    account = _visible_account(session, context, principal, person_id)
    lock = locks.lift_officer_lock(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        account_id=account.id,
        lock_id=lock_id,
        reason=body.reason,
    )
    return LockRead(**lock.model_dump())


def visible_account(
    session: Session, context: AppContext, principal: StaffAccount, person_id: int
) -> tuple[PersonRead, AccountRead]:
    """The person (an audited read of the record) and their account, if the person is in the staff's commune."""
    person = registry.get_person(
        session=session,
        clock=context.clock,
        actor=staff_actor(principal),
        person_id=person_id,
        commune_code=commune_scope(principal),
    )
    return person, service.get_account_by_person(session=session, person_id=person_id)


def _visible_account(session: Session, context: AppContext, principal: StaffAccount, person_id: int) -> AccountRead:
    return visible_account(session, context, principal, person_id)[1]


# Everyone gets an account (issue 19): level 1 on the phone, a parent's children, assisted activation.


def face_check(request: Request) -> level1.FaceCheck:
    """The selfie matcher the app factory chose (``plugins.face_check``); without one, level 1 is unavailable."""
    faces = getattr(request.app.state, "face_check", None)
    if not isinstance(faces, level1.FaceCheck):
        raise Level1Unavailable("no face matcher is configured in this deployment")
    return faces


def assistant(request: Request, context: AppContext) -> StaffAccount:
    """The operator of an assisted activation, resolved in a short transaction of its own (like
    :func:`current_holder`): the assisted routes record their refusals in theirs (``recorded``), and on
    SQLite two write transactions at once would wait for each other."""
    token = session_token(request)
    if token is None:
        raise NotAuthenticated("log in to continue")
    with unit_of_work(context.database.sessions) as session:
        account = resolve_session(session=session, clock=context.clock, token=token)
    if not allows(account.role, Permission.ACCOUNT_ASSIST):
        permission = Permission.ACCOUNT_ASSIST.value
        raise Forbidden(f"the {account.role.value} role may not use {permission}", permission=permission)
    return account


Faces = Annotated[level1.FaceCheck, Depends(face_check)]
Assistant = Annotated[StaffAccount, Depends(assistant)]


@router.get("/level1", responses=problem_responses(503))
def get_level1(faces: Faces) -> dict[str, object]:
    """What the level-1 screen says before the person starts: whether the face match is simulated, the limits."""
    return {
        "simulated": faces.simulated,
        "max_attempts_per_day": min(level1.MAX_ATTEMPTS_PER_ID_NUMBER, level1.MAX_ATTEMPTS_PER_PHONE),
        "min_age": level1.LEVEL1_MIN_AGE,
    }


@router.post(
    "/level1",
    status_code=201,
    responses=problem_responses(413, 422, 503),
    openapi_extra=body_limit(10 * MIB),  # a selfie and a photo of the card, in base64
)
def post_level1(body: Level1In, context: AppContext, hasher: Hasher, faces: Faces) -> Level1Out:
    """Open a level-1 account from the phone: ID number, own phone, a selfie and a photo of the card's QR.

    The answer comes at once: the account, pending activation, with its activation code on the way by
    SMS (the app goes on to ``/activation/verify``), or ``level1_refused`` with its ``reason``."""
    selfie, card_image = _base64(body.selfie_base64, "selfie"), _base64(body.card_image_base64, "card")
    done = recorded(
        context,
        lambda session: level1.register_level1(
            session=session,
            clock=context.clock,
            id_number=body.id_number,
            phone=body.phone,
            selfie=selfie,
            card_image=card_image,
            faces=faces,
            hasher=hasher,
        ),
    )
    return Level1Out(
        account_id=done.account_id, expires_in_seconds=done.code_expires_in_seconds, simulated=faces.simulated
    )


@router.get("/me/children", responses=problem_responses(401))
def get_children(request: CurrentHolder, context: AppContext, session: DbSession) -> list[ChildRead]:
    found = children.children_of(session=session, clock=context.clock, guardian_account_id=request.holder.account_id)
    return [ChildRead.model_validate(c) for c in found]


@router.post("/me/children", status_code=201, responses=problem_responses(401, 403, 422))
def post_child(body: ChildIn, request: CurrentHolder, context: AppContext) -> ChildRead:
    """A level-2 parent adds a child under 14 (the registry's guardian link decides); refusals are audited."""
    child = recorded(
        context,
        lambda session: children.add_child(
            session=session,
            clock=context.clock,
            guardian_account_id=request.holder.account_id,
            child_id_number=body.id_number,
        ),
    )
    return ChildRead.model_validate(child)


@router.post("/assisted", status_code=201, responses=problem_responses(401, 403, 422))
def post_assisted(body: AssistedIn, context: AppContext, principal: Assistant, hasher: Hasher) -> AssistedOut:
    """An operator starts an assisted activation, face to face: identity checked, consent recorded."""
    started = recorded(
        context,
        lambda session: assisted.start_assisted(
            session=session,
            clock=context.clock,
            operator=staff_actor(principal),
            commune_code=commune_scope(principal),
            person_id=body.person_id,
            identity_checked=body.identity_checked,
            consent=body.consent,
            delivery=AssistedDelivery(body.delivery),
            contact_phone=body.contact_phone,
            contact_relation=body.contact_relation,
            hasher=hasher,
        ),
    )
    return AssistedOut(
        activation_id=started.activation_id,
        account_id=started.account_id,
        delivery=started.delivery.value,
        code_on_screen=started.code_on_screen,
        phone_masked=started.phone_masked,
        expires_in_seconds=started.expires_in_seconds,
    )


@router.post("/assisted/{activation_id}/confirm", responses=problem_responses(401, 403, 422))
def post_assisted_confirm(
    activation_id: Annotated[str, Path(max_length=36)],
    body: AssistedConfirmIn,
    context: AppContext,
    principal: Assistant,
    hasher: Hasher,
) -> AccountRead:
    """The citizen typed the code: the account is active, usable at the office and with the paper card."""
    account_id = recorded(
        context,
        lambda session: assisted.confirm_assisted(
            session=session,
            clock=context.clock,
            operator=staff_actor(principal),
            commune_code=commune_scope(principal),
            activation_id=activation_id,
            code=body.code,
            hasher=hasher,
        ),
    )
    with unit_of_work(context.database.sessions) as session:
        return service.get_account(session=session, account_id=account_id)


def _base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value.split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidHolderInput(f"the {field} is not base64", field=field) from None
