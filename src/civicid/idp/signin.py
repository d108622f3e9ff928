"""Signing in at the provider: the ID number and password (level 1), then an SMS code (level 2); or the
password and a proof from the phone the account is bound to (level 2 at once, ``hwk``).

The password is checked by the accounts' own rule (``accounts.login.check_password``): five wrong in a
row lock login for fifteen minutes, and an unknown ID number gets the same refusal after the same
hashing work as a wrong password, so the page tells no one whether an account exists. The SMS code is
sent only once the password is right, to the phone an officer checked at enrollment; it is single-use,
expires after :data:`CODE_LIFETIME`, dies after :data:`MAX_CODE_ATTEMPTS` wrong tries, and at most
:data:`MAX_CODES` go out per sign-in.

Every sign-in and step-up is audited with the person as subject: it shows in the citizen's usage
history (``accounts/holder.py``). Refusals that count are recorded before they are raised: the caller
commits, then shows the refusal (``RECORDED_REFUSALS``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicid.accounts import login as accounts_login
from civicid.accounts import service as accounts
from civicid.accounts.activation import holder_actor
from civicid.accounts.errors import InvalidHolderCredentials
from civicid.accounts.hashing import PRODUCTION, SecretHasher, new_code
from civicid.accounts.schemas import HolderAccount
from civicid.accounts.statuses import AccountStatus
from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.idp.errors import InvalidLoginCode
from civicid.idp.hashing import digest, new_value
from civicid.idp.levels import PASSWORD_AND_DEVICE, PASSWORD_AND_SMS, PASSWORD_ONLY
from civicid.idp.models import IdpSession
from civicid.notify import service as notify
from civicid.registry import queries as registry_queries

SESSION_LIFETIME = dt.timedelta(minutes=30)
CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_CODE_ATTEMPTS = 5
MAX_CODES = 3
SMS_TEMPLATE = "idp_login_code"


@dataclass(frozen=True)
class SignedIn:
    """A sign-in session at the provider: the cookie's value, and what it proves."""

    token: str
    account_id: str
    person_id: int
    level: int
    reachable_level: int
    amr: tuple[str, ...]
    auth_time: dt.datetime


def sign_in(
    *, session: Session, clock: Clock, id_number: str, password: str, hasher: SecretHasher = PRODUCTION
) -> SignedIn:
    """Level 1: the ID number and the password of an active account; a new session (a new cookie value)."""
    account, _ = accounts_login.check_password(
        session=session, clock=clock, id_number=id_number, password=password, hasher=hasher
    )
    accounts_login.refuse_if_locked(session, clock, account)
    if account.status is not AccountStatus.ACTIVE:
        raise InvalidHolderCredentials("wrong ID number or password")
    token, now = new_value(), clock.now()
    row = IdpSession(
        token_hash=digest(token),
        account_id=account.id,
        level=1,
        amr=list(PASSWORD_ONLY),
        auth_time=now,
        expires_at=now + SESSION_LIFETIME,
        code_attempts=0,
        codes_sent=0,
    )
    session.add(row)
    accounts.audit_account(session, clock, holder_actor(account.id), "idp.sign_in", account, {"level": 1})
    return _signed_in(token, row, account)


def sign_in_with_device(
    *,
    session: Session,
    clock: Clock,
    id_number: str,
    password: str,
    device_proof: str,
    hasher: SecretHasher = PRODUCTION,
) -> SignedIn:
    """The password and a proof from the phone the account is bound to (the app's device key, ``hwk``):
    two factors at once, level 2 on a level-2 account. The proof answers a single-use challenge."""
    account, _ = accounts_login.check_password(
        session=session, clock=clock, id_number=id_number, password=password, hasher=hasher
    )
    accounts_login.refuse_if_locked(session, clock, account)
    if account.status is not AccountStatus.ACTIVE:
        raise InvalidHolderCredentials("wrong ID number or password")
    accounts_login.check_bound_device(
        session=session, clock=clock, account=account, id_number=id_number, device_proof=device_proof
    )
    level = min(2, account.level)
    token, now = new_value(), clock.now()
    row = IdpSession(
        token_hash=digest(token),
        account_id=account.id,
        level=level,
        amr=list(PASSWORD_AND_DEVICE),
        auth_time=now,
        expires_at=now + SESSION_LIFETIME,
        code_attempts=0,
        codes_sent=0,
    )
    session.add(row)
    details = {"level": level, "method": "device"}
    accounts.audit_account(session, clock, holder_actor(account.id), "idp.sign_in", account, details)
    return _signed_in(token, row, account)


def current(*, session: Session, clock: Clock, token: str | None) -> SignedIn | None:
    """The live session a cookie names, if its account is still active; None otherwise."""
    if not token or len(token) > 100:
        return None
    row = session.get(IdpSession, digest(token))
    if row is None or row.ended_at is not None or row.expires_at <= clock.now():
        return None
    account = accounts.find_account(session=session, account_id=row.account_id)
    if account is None or account.status is not AccountStatus.ACTIVE:
        return None
    return _signed_in(token, row, account)


def send_code(*, session: Session, clock: Clock, token: str, hasher: SecretHasher = PRODUCTION) -> bool:
    """Send a step-up code to the account's phone (replacing any earlier one); False once :data:`MAX_CODES` went."""
    row, account = _live(session, clock, token)
    if account.level < 2 or account.phone is None or row.codes_sent >= MAX_CODES:
        return False
    code, now = new_code(), clock.now()
    row.code_hash, row.code_expires_at, row.code_attempts = hasher.hash(code), now + CODE_LIFETIME, 0
    row.codes_sent += 1
    notify.queue_sms(
        session=session,
        clock=clock,
        to=account.phone,
        template=SMS_TEMPLATE,
        params={"code": code, "minutes": str(CODE_LIFETIME.seconds // 60)},
        related_type="account",
        related_id=account.id,
        idempotency_key=f"{SMS_TEMPLATE}:{account.id}:{new_id()}",
        commune_code=registry_queries.person_commune(session, account.person_id),
    )
    accounts.audit_account(session, clock, holder_actor(account.id), "idp.code_request", account, {"level": 2})
    return True


def step_up(*, session: Session, clock: Clock, token: str, code: str, hasher: SecretHasher = PRODUCTION) -> SignedIn:
    """Level 2: the SMS code; the session's ``amr`` becomes password + SMS. A wrong code counts, then raises."""
    row, account = _live(session, clock, token)
    now = clock.now()
    live = (
        row.code_hash is not None
        and row.code_expires_at is not None
        and row.code_expires_at > now
        and row.code_attempts < MAX_CODE_ATTEMPTS
    )
    well_formed = code.isdigit() and len(code) == 6
    if not hasher.verify(row.code_hash if live and well_formed else None, code if well_formed else "000000"):
        if live:
            row.code_attempts += 1
        accounts.audit_account(session, clock, holder_actor(account.id), "idp.code_refuse", account, {"level": 2})
        raise InvalidLoginCode("the code is wrong, expired or used up")
    row.code_hash = row.code_expires_at = None
    row.level, row.amr, row.auth_time = 2, list(PASSWORD_AND_SMS), now
    accounts.audit_account(session, clock, holder_actor(account.id), "idp.step_up", account, {"level": 2})
    return _signed_in(token, row, account)


def record_service_login(*, session: Session, clock: Clock, signed: SignedIn, client_name: str) -> None:
    """A code went to a service for this citizen: the login, in their usage history (with the service's name)."""
    account = accounts.find_account(session=session, account_id=signed.account_id)
    if account is not None:
        details = {"service": client_name, "level": signed.level}
        accounts.audit_account(session, clock, holder_actor(account.id), "idp.login", account, details)


def sign_out(*, session: Session, clock: Clock, token: str | None, client_id: str | None = None) -> bool:
    """End the session a cookie names (RP-initiated logout); False when there was none."""
    if not token or len(token) > 100:
        return False
    row = session.get(IdpSession, digest(token))
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = clock.now()
    account = accounts.find_account(session=session, account_id=row.account_id)
    if account is not None:
        details = {"client_id": client_id} if client_id else {}
        accounts.audit_account(session, clock, holder_actor(account.id), "idp.sign_out", account, details)
    return True


def _live(session: Session, clock: Clock, token: str) -> tuple[IdpSession, HolderAccount]:
    row = session.get(IdpSession, digest(token))
    account = None if row is None else accounts.find_account(session=session, account_id=row.account_id)
    if (
        row is None
        or account is None
        or row.ended_at is not None
        or row.expires_at <= clock.now()
        or account.status is not AccountStatus.ACTIVE
    ):
        raise InvalidLoginCode("the sign-in has expired: start again")
    return row, account


def _signed_in(token: str, row: IdpSession, account: HolderAccount) -> SignedIn:
    return SignedIn(
        token=token,
        account_id=account.id,
        person_id=account.person_id,
        level=row.level,
        reachable_level=min(2, account.level),
        amr=tuple(row.amr),
        auth_time=row.auth_time,
    )
