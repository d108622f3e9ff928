"""The holder's login, from the bound device, and the move to a new device (DOMAIN.md).

- Login: ID number + password, with a proof from the device bound at activation
  (``accounts/devices.py``); the answer is a session token for that device only.
- :data:`MAX_FAILED_LOGINS` wrong passwords in a row lock login for :data:`LOCKOUT`, by the injected
  clock; the lock lifts by itself. A wrong password and an ID number without an active account get
  the same refusal after the same hashing work.
- A new device: the password, then an SMS code to the account's phone, then the new device's key
  and proof; binding it unbinds the old device and ends its sessions.

Refusals that count (wrong password, wrong code) are raised after being recorded: the caller
commits first (``errors.RECORDED_REFUSALS``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from civicid.accounts import codes, repository
from civicid.accounts.activation import PUBLIC, CodeRequested, arrive, holder_actor
from civicid.accounts.devices import BIND, LOGIN, device_key, proof_device_id, verify_proof
from civicid.accounts.errors import (
    AccountLocked,
    DeviceNotBound,
    HolderSessionInvalid,
    InvalidDeviceProof,
    InvalidHolderCredentials,
    LoginLocked,
)
from civicid.accounts.hashing import PRODUCTION, SecretHasher, new_token, token_digest
from civicid.accounts.locks import active_grounds
from civicid.accounts.models import AccountCredential, AccountDevice, AccountStatus, CodePurpose, EidAccount
from civicid.accounts.models import HolderSession as HolderSessionRow
from civicid.accounts.ports import HolderArrival
from civicid.accounts.service import audit_account
from civicid.core import throttle
from civicid.core.clock import Clock
from civicid.core.crypto import load_public_jwk

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=1)
THROTTLE_REALM = "holder"


@dataclass(frozen=True)
class HolderLogin:
    token: str
    account_id: str
    device_id: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class Holder:
    """Who a valid session token speaks for."""

    account_id: str
    person_id: int
    device_id: str
    session_expires_at: dt.datetime


def login(
    *,
    session: Session,
    clock: Clock,
    id_number: str,
    password: str,
    device_proof: str,
    on_arrival: HolderArrival,
    hasher: SecretHasher = PRODUCTION,
) -> HolderLogin:
    """A session on the bound device; documents requested since the last visit are put to their agencies.

    A locked account is refused (:class:`AccountLocked`, with its grounds) once the password is right:
    only the holder learns that it is locked, and why.
    """
    account, _ = check_password(session=session, clock=clock, id_number=id_number, password=password, hasher=hasher)
    refuse_if_locked(session, clock, account)
    device_id = check_bound_device(
        session=session, clock=clock, account=account, id_number=id_number, device_proof=device_proof
    )
    arrive(session, clock, account, on_arrival)
    return _open_session(session, clock, account, device_id, "account.login")


def check_bound_device(
    *, session: Session, clock: Clock, account: EidAccount, id_number: str, device_proof: str
) -> str:
    """The bound device's id, if ``device_proof`` is its fresh answer to a live challenge (a "login" proof).

    Also the second factor of the OpenID provider's sign-in (``idp/signin.py``). Refusals are audited.
    """
    device = repository.get_device(session, account.id)
    if device is None or proof_device_id(device_proof) != device.device_id:
        audit_account(session, clock, PUBLIC, "account.login_refuse", account, {"reason": "device_not_bound"})
        raise DeviceNotBound("this device is not the account's bound device")
    try:
        verify_proof(
            device_proof,
            load_public_jwk(device.public_jwk),
            purpose=LOGIN,
            id_number=id_number,
            session=session,
            clock=clock,
        )
    except InvalidDeviceProof:
        audit_account(session, clock, PUBLIC, "account.login_refuse", account, {"reason": "device_proof"})
        raise
    return device.device_id


def request_device_code(
    *, session: Session, clock: Clock, id_number: str, password: str, hasher: SecretHasher = PRODUCTION
) -> CodeRequested:
    """Send a code for binding a new device to the account's phone, once the password is right."""
    account, _ = check_password(session=session, clock=clock, id_number=id_number, password=password, hasher=hasher)
    refuse_if_locked(session, clock, account)
    sent = codes.send_code(session, clock, account, CodePurpose.NEW_DEVICE, hasher)
    audit_account(session, clock, holder_actor(account.id), "account.device_code_request", account, {"sent": sent})
    return CodeRequested()


def bind_new_device(
    *,
    session: Session,
    clock: Clock,
    id_number: str,
    password: str,
    code: str,
    device_public_jwk: Mapping[str, Any],
    device_proof: str,
    hasher: SecretHasher = PRODUCTION,
) -> HolderLogin:
    """Bind the device whose key signed ``device_proof``; the old device is unbound and its sessions end."""
    account, _ = check_password(session=session, clock=clock, id_number=id_number, password=password, hasher=hasher)
    refuse_if_locked(session, clock, account)
    device_id, jwk, key = device_key(device_public_jwk)
    verify_proof(device_proof, key, purpose=BIND, id_number=id_number, session=session, clock=clock)
    codes.check_code(session, clock, account, CodePurpose.NEW_DEVICE, code, hasher)
    device = repository.get_device(session, account.id)
    old = None if device is None else device.device_id
    if device is None:
        session.add(AccountDevice(account_id=account.id, device_id=device_id, public_jwk=jwk, bound_at=clock.now()))
    else:
        device.device_id, device.public_jwk, device.bound_at = device_id, jwk, clock.now()
    repository.end_sessions(session, account.id)
    details = {"device_id": device_id, "unbound_device_id": old}
    audit_account(session, clock, holder_actor(account.id), "account.device_bind", account, details)
    return _open_session(session, clock, account, device_id, "account.login")


def resolve_session(*, session: Session, clock: Clock, token: str, device_id: str) -> Holder:
    """The holder a session token speaks for, on the device it was opened on and that is still bound."""
    row = repository.get_session(session, token_digest(token))
    if row is None or row.expires_at <= clock.now() or row.device_id != device_id:
        raise HolderSessionInvalid("the session is unknown, expired or was opened on another device")
    account = session.get(EidAccount, row.account_id)
    device = repository.get_device(session, row.account_id)
    if account is None or account.status is not AccountStatus.ACTIVE or device is None:
        raise HolderSessionInvalid("the account is not active")
    if device.device_id != device_id:
        raise HolderSessionInvalid("the device is no longer bound to the account")
    return Holder(account.id, account.person_id, device_id, row.expires_at)


def logout(*, session: Session, clock: Clock, holder: Holder, token: str, everywhere: bool = False) -> None:
    """End this session, or every session of the account (on every device)."""
    account = repository.get_account(session, holder.account_id)
    assert account is not None  # noqa: S101 - the session resolved to it
    if everywhere:
        repository.end_sessions(session, account.id)
    else:
        repository.end_session(session, token_digest(token))
    action = "account.logout_everywhere" if everywhere else "account.logout"
    audit_account(session, clock, holder_actor(account.id), action, account, {"device_id": holder.device_id})


def refuse_if_locked(session: Session, clock: Clock, account: EidAccount) -> None:
    """:class:`AccountLocked` with the account's grounds, audited, if any lock stands."""
    if account.status is not AccountStatus.LOCKED:
        return
    grounds = sorted(g.value for g in active_grounds(session=session, account_id=account.id))
    audit_account(session, clock, PUBLIC, "account.login_refuse", account, {"reason": "locked"})
    raise AccountLocked("the e-ID account is locked", grounds=grounds)


def check_password(
    *, session: Session, clock: Clock, id_number: str, password: str, hasher: SecretHasher = PRODUCTION
) -> tuple[EidAccount, AccountCredential]:
    """The activated account (active or locked) of ``id_number`` if ``password`` is its password.

    Wrong passwords count: :data:`MAX_FAILED_LOGINS` in a row lock login for :data:`LOCKOUT`. A wrong
    password and an unknown ID number get the same refusal after the same hashing work.
    """
    now = clock.now()
    account = repository.activated_by_id_number(session, id_number) if id_number.isdigit() else None
    credential = None if account is None else repository.get_credential(session, account.id)
    if account is None or credential is None:
        _refuse_unknown(session, clock, id_number, password, hasher)
    if credential.login_locked_until is not None:
        if credential.login_locked_until > now:
            hasher.verify(None, password)  # the work of a password check, as every other answer costs
            raise _locked(credential.login_locked_until, now)
        credential.login_locked_until = None
    if not hasher.verify(credential.password_hash, password):
        credential.failed_logins += 1
        locked = credential.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            credential.failed_logins, credential.login_locked_until = 0, now + LOCKOUT
        details = {"reason": "password", "locked": locked}
        audit_account(session, clock, PUBLIC, "account.login_refuse", account, details)
        raise InvalidHolderCredentials("wrong ID number or password")
    credential.failed_logins = 0
    return account, credential


def _refuse_unknown(session: Session, clock: Clock, id_number: str, password: str, hasher: SecretHasher) -> NoReturn:
    """An ID number without an activated account: the answers, count and lock of a wrong password.

    Counted by the ID number asked for (``core/throttle.py``) with the account's own limit and lock,
    so that after :data:`MAX_FAILED_LOGINS` wrong tries it is locked as a real account is.
    """
    hasher.verify(None, password)
    now = clock.now()
    until = throttle.locked_until(session=session, clock=clock, realm=THROTTLE_REALM, identifier=id_number)
    if until is not None:
        raise _locked(until, now)
    throttle.record_failure(
        session=session,
        clock=clock,
        realm=THROTTLE_REALM,
        identifier=id_number,
        limit=MAX_FAILED_LOGINS,
        lockout=LOCKOUT,
    )
    raise InvalidHolderCredentials("wrong ID number or password")


def _locked(until: dt.datetime, now: dt.datetime) -> LoginLocked:
    retry = int((until - now).total_seconds()) + 1
    return LoginLocked("login is locked after too many wrong passwords", retry_after_seconds=retry)


def _open_session(session: Session, clock: Clock, account: EidAccount, device_id: str, action: str) -> HolderLogin:
    token, now = new_token(), clock.now()
    expires = now + SESSION_LIFETIME
    session.add(
        HolderSessionRow(
            token_hash=token_digest(token),
            account_id=account.id,
            device_id=device_id,
            created_at=now,
            expires_at=expires,
        )
    )
    audit_account(session, clock, holder_actor(account.id), action, account, {"device_id": device_id})
    return HolderLogin(token, account.id, device_id, expires)
