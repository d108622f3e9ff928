"""Activation on the phone (DOMAIN.md "Issuing is not activating").

ID number + phone number → a 6-digit code by SMS → (the code, verified, opens a ticket) → password,
passcode, two security questions and the device's key, set together → the account is ``active``,
bound to that device, and what arriving calls for is done (the wallet puts the documents to their
agencies, ``ports.HolderArrival``).

Nothing here tells whether an ID number and phone number belong to an account: a code request
gets the same answer either way (and sends an SMS only to an account's own phone), and a wrong
pair, a wrong code and a dead code get the same refusal (docs/decisions/0014-holder-activation-and-login.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from civicid.accounts import codes, repository
from civicid.accounts.devices import device_key
from civicid.accounts.errors import InvalidCode, InvalidHolderInput, InvalidTicket
from civicid.accounts.hashing import (
    PASSCODE_DIGITS,
    PRODUCTION,
    SecretHasher,
    check_digits,
    check_password,
    normalise_answer,
    token_digest,
)
from civicid.accounts.models import (
    AccountCredential,
    AccountDevice,
    AccountStatus,
    CodePurpose,
    EidAccount,
)
from civicid.accounts.ports import Arrival, HolderArrival
from civicid.accounts.questions import checked_question
from civicid.accounts.service import audit_account
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.country.phone import normalise_phone

PUBLIC = Actor("public", "-")
SECURITY_QUESTIONS = 2


def holder_actor(account_id: str) -> Actor:
    """How a holder appears in the audit log: by account id, never by name or number."""
    return Actor("holder", account_id)


@dataclass(frozen=True)
class CodeRequested:
    """The one answer to every code request: what the app shows while the holder waits for an SMS."""

    expires_in_seconds: int = int(codes.CODE_LIFETIME.total_seconds())


@dataclass(frozen=True)
class SecurityAnswer:
    question: str  # the app's question id ("first_school"), not free text
    answer: str


@dataclass(frozen=True)
class Activated:
    account_id: str
    device_id: str
    documents_integrated: int
    documents_refused: int
    documents_pending: int = 0  # put to an agency that could not be reached: a job asks again


def request_activation_code(
    *, session: Session, clock: Clock, id_number: str, phone: str, hasher: SecretHasher = PRODUCTION
) -> CodeRequested:
    """Send a new activation code to the account issued to this ID number on this phone, if there is one."""
    account = _pending(session, id_number, phone)
    if account is None:
        hasher.hash(id_number)  # the same work as a real code, so timing tells nothing either
        audit.record(
            session=session,
            clock=clock,
            actor=PUBLIC,
            action="account.activation_code_unmatched",
            subject_type="account",
            subject_id="-",
        )
        return CodeRequested()
    sent = codes.send_code(session, clock, account, CodePurpose.ACTIVATION, hasher)
    audit_account(session, clock, PUBLIC, "account.activation_code_request", account, {"sent": sent})
    return CodeRequested()


def verify_activation_code(
    *, session: Session, clock: Clock, id_number: str, phone: str, code: str, hasher: SecretHasher = PRODUCTION
) -> str:
    """The ticket for :func:`complete_activation` if ``code`` is the live code of that account.

    A wrong code counts (five kill the code) and is raised *after* being recorded: the caller commits
    before reporting it (``errors.RECORDED_REFUSALS``).
    """
    account = _pending(session, id_number, phone)
    try:
        row = codes.check_code(session, clock, account, CodePurpose.ACTIVATION, code, hasher)
    except InvalidCode:
        if account is not None:
            audit_account(session, clock, PUBLIC, "account.activation_code_refuse", account, {})
        raise
    assert account is not None  # noqa: S101 - check_code refuses when there is no account
    audit_account(session, clock, PUBLIC, "account.activation_code_verify", account, {})
    return codes.open_ticket(row, clock)


def complete_activation(
    *,
    session: Session,
    clock: Clock,
    ticket: str,
    password: str,
    passcode: str,
    answers: Sequence[SecurityAnswer],
    device_public_jwk: Mapping[str, Any],
    on_arrival: HolderArrival,
    hasher: SecretHasher = PRODUCTION,
) -> Activated:
    """Set the password, passcode and security answers, bind the device, activate; all or nothing.

    The steps are checked in the app's order (password, passcode, questions, device) and written
    together, so no account is ever half-activated. The ticket is single-use.
    """
    row = repository.code_by_ticket(session, token_digest(ticket))
    account = None if row is None else repository.get_account(session, row.account_id)
    now = clock.now()
    if row is None or row.ticket_expires_at is None or row.ticket_expires_at <= now or account is None:
        raise InvalidTicket("the activation ticket is unknown, used or expired")
    if account.status is not AccountStatus.PENDING_ACTIVATION or row.purpose is not CodePurpose.ACTIVATION:
        raise InvalidTicket("the activation ticket is unknown, used or expired")
    check_password(password)
    check_digits(passcode, name="passcode", digits=PASSCODE_DIGITS)
    questions = _checked_answers(answers)
    device_id, jwk, _ = device_key(device_public_jwk)
    session.add(
        AccountCredential(
            account_id=account.id,
            password_hash=hasher.hash(password),
            passcode_hash=hasher.hash(passcode),
            question_1=questions[0][0],
            answer_1_hash=hasher.hash(questions[0][1]),
            question_2=questions[1][0],
            answer_2_hash=hasher.hash(questions[1][1]),
            failed_logins=0,
            login_locked_until=None,
            set_at=now,
        )
    )
    session.add(AccountDevice(account_id=account.id, device_id=device_id, public_jwk=jwk, bound_at=now))
    row.ticket_hash = row.ticket_expires_at = None
    account.status, account.activated_at, account.updated_at = AccountStatus.ACTIVE, now, now
    actor = holder_actor(account.id)
    audit_account(session, clock, actor, "account.activate", account, {"device_id": device_id})
    arrived = arrive(session, clock, account, on_arrival)
    return Activated(
        account.id, device_id, arrived.documents_integrated, arrived.documents_refused, arrived.documents_pending
    )


def arrive(session: Session, clock: Clock, account: EidAccount, on_arrival: HolderArrival) -> Arrival:
    """The holder is here (activated, or logged in): the wallet puts their requested documents to the agencies."""
    return on_arrival(
        session=session, clock=clock, account_id=account.id, person_id=account.person_id, id_number=account.id_number
    )


def _pending(session: Session, id_number: str, phone: str) -> EidAccount | None:
    try:
        number = normalise_phone(phone)
    except ValueError:
        return None
    if number is None or not id_number.isdigit() or len(id_number) != 12:
        return None
    return repository.pending_by_pair(session, id_number, number)


def _checked_answers(answers: Sequence[SecurityAnswer]) -> list[tuple[str, str]]:
    if len(answers) != SECURITY_QUESTIONS:
        raise InvalidHolderInput(f"exactly {SECURITY_QUESTIONS} security questions are answered", field="answers")
    checked = [(checked_question(a.question.strip()), normalise_answer(a.answer)) for a in answers]
    if checked[0][0] == checked[1][0]:
        raise InvalidHolderInput("the two security questions must differ", field="answers")
    return checked
