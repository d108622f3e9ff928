"""Staff accounts, passwords and sessions: the only way other code reaches the staff tables.

Rules enforced here (DESIGN.md decision 10):

- passwords have at least :data:`MIN_PASSWORD_LENGTH` characters and are hashed with Argon2id
  (argon2-cffi's defaults, RFC 9106 §4 second recommended profile);
- :data:`MAX_FAILED_LOGINS` wrong passwords in a row lock the account for :data:`LOCKOUT`;
- an unknown username costs the same Argon2 work as a known one, so timing does not tell which
  usernames exist;
- a session token is 256 random bits shown once; only its SHA-256 is stored.

Failed logins must outlive the refused request, so :func:`authenticate` raises *after* recording
them and its caller commits before reporting the refusal (see ``web/auth.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from functools import cache
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicid.core import audit, throttle
from civicid.core.audit import SYSTEM, Actor
from civicid.core.clock import Clock
from civicid.core.errors import Conflict, InvalidInput, NotFound
from civicid.web.errors import AccountLocked, InvalidCredentials, SessionExpired
from civicid.web.staff import StaffAccount, StaffRole, StaffSession

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # Bounds the hashing work one request can ask for.
MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
THROTTLE_REALM = "staff"
DEFAULT_SESSION_LIFETIME = dt.timedelta(hours=12)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
_COMMUNE_CODE = re.compile(r"^\d{5}$")


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that the answer takes as long as a real check.
    return _hasher().hash(secrets.token_urlsafe(16))


def normalise_username(username: str) -> str:
    return username.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_actor(account: StaffAccount) -> Actor:
    """How a staff member appears in the audit log."""
    return Actor("staff", account.username)


def _check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at most {MAX_PASSWORD_LENGTH} characters", field="password")


def create_staff(
    *,
    session: Session,
    clock: Clock,
    username: str,
    password: str,
    role: StaffRole | str,
    commune_code: str | None = None,
    actor: Actor = SYSTEM,
) -> StaffAccount:
    """Open a staff account; the username is unique (enforced by the database, not a prior check)."""
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise InvalidInput("username must be 3-60 characters: letters, digits, '.', '_' or '-'", field="username")
    try:
        staff_role = StaffRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise InvalidInput(f"role must be one of {choices}", field="role") from None
    if commune_code is not None and not _COMMUNE_CODE.match(commune_code):
        raise InvalidInput("commune code must be 5 digits", field="commune_code")
    _check_password_policy(password)
    account = StaffAccount(
        username=name,
        password_hash=_hasher().hash(password),
        role=staff_role,
        commune_code=commune_code,
        active=True,
        failed_logins=0,
        created_at=clock.now(),
    )
    try:
        # A savepoint, so that a duplicate username leaves the caller's transaction usable.
        with session.begin_nested():
            session.add(account)
    except IntegrityError:
        raise Conflict(f"username {name!r} is taken", field="username") from None
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="staff.create",
        subject_type="staff_account",
        subject_id=str(account.id),
        details={"username": name, "role": staff_role.value, "commune_code": commune_code},
    )
    return account


def list_staff(*, session: Session) -> Sequence[StaffAccount]:
    return session.scalars(select(StaffAccount).order_by(StaffAccount.username)).all()


def generated_password() -> str:
    """A password for an account opened without one typed: 96 random bits, 16 characters, shown once."""
    return secrets.token_urlsafe(12)


def last_logins(*, session: Session) -> dict[int, dt.datetime]:
    """When each account last logged in: the opening of its latest session (none if it never has)."""
    rows = session.execute(
        select(StaffSession.account_id, func.max(StaffSession.created_at)).group_by(StaffSession.account_id)
    ).all()
    return {account_id: at for account_id, at in rows}


def _managed(session: Session, account_id: int) -> StaffAccount:
    account = session.get(StaffAccount, account_id)
    if account is None:
        raise NotFound(f"no staff account {account_id}")
    return account


def _end_sessions(session: Session, account_id: int) -> None:
    session.execute(
        update(StaffSession)
        .where(StaffSession.account_id == account_id, StaffSession.revoked.is_(False))
        .values(revoked=True)
    )


def set_active(*, session: Session, clock: Clock, account_id: int, active: bool, actor: Actor) -> StaffAccount:
    """Disable an account (its sessions end at once) or enable it again; an administrator cannot
    disable their own account, so the last one cannot lock everybody out."""
    account = _managed(session, account_id)
    if not active and actor == staff_actor(account):
        raise Conflict("you cannot disable your own account", field="account", rule="own_account")
    if account.active == active:
        return account
    account.active = active
    if not active:
        _end_sessions(session, account.id)
    action = "staff.enable" if active else "staff.disable"
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action=action,
        subject_type="staff_account",
        subject_id=str(account.id),
    )
    return account


def reset_password(*, session: Session, clock: Clock, account_id: int, password: str, actor: Actor) -> StaffAccount:
    """Give an account a new password (Argon2id, same policy as a new account); its sessions end and a
    lockout is lifted, so the person logs in again with the new one. The audit entry holds no password."""
    account = _managed(session, account_id)
    _check_password_policy(password)
    account.password_hash = _hasher().hash(password)
    account.failed_logins = 0
    account.locked_until = None
    _end_sessions(session, account.id)
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="staff.password_reset",
        subject_type="staff_account",
        subject_id=str(account.id),
    )
    return account


def authenticate(
    *,
    session: Session,
    clock: Clock,
    username: str,
    password: str,
    lifetime: dt.timedelta = DEFAULT_SESSION_LIFETIME,
) -> str:
    """Check a password and open a session; return its token, which is never stored.

    Raises :class:`InvalidCredentials` or :class:`AccountLocked` after recording the attempt: the
    caller must commit before reporting the refusal, or the lockout counter would be rolled back.
    """
    now = clock.now()
    name = normalise_username(username)
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == name))
    if account is None:
        _refuse_unknown(session, clock, name, password)
    if account.locked_until is not None and account.locked_until > now:
        _verify(_dummy_hash(), password)
        raise AccountLocked("too many failed logins; try again later", locked_until=account.locked_until.isoformat())
    if not _verify(account.password_hash, password) or not account.active:
        _record_failure(session, clock, account)
    throttle.forget(session=session, realm=THROTTLE_REALM, identifier=name)
    account.failed_logins = 0
    account.locked_until = None
    if _hasher().check_needs_rehash(account.password_hash):
        account.password_hash = _hasher().hash(password)
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            token_hash=hash_token(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + lifetime,
            revoked=False,
        )
    )
    _audit(session, clock, account, "staff.login")
    return token


def _verify(password_hash: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _refuse_unknown(session: Session, clock: Clock, username: str, password: str) -> NoReturn:
    """A username no account has: the same work, count, lock and answers as a wrong password.

    Counted by the name asked for (``core/throttle.py``), so that its sixth try is refused as a real
    account's is, with the same ``locked_until``: neither answer nor timing tells that it is unknown.
    """
    _verify(_dummy_hash(), password)
    until = throttle.locked_until(session=session, clock=clock, realm=THROTTLE_REALM, identifier=username)
    if until is None:
        until = throttle.record_failure(
            session=session,
            clock=clock,
            realm=THROTTLE_REALM,
            identifier=username,
            limit=MAX_FAILED_LOGINS,
            lockout=LOCKOUT,
        )
    if until is not None:
        raise AccountLocked("too many failed logins; try again later", locked_until=until.isoformat())
    raise InvalidCredentials("wrong username or password")


def _record_failure(session: Session, clock: Clock, account: StaffAccount) -> NoReturn:
    account.failed_logins += 1
    if account.failed_logins >= MAX_FAILED_LOGINS:
        account.failed_logins = 0
        account.locked_until = clock.now() + LOCKOUT
        _audit(session, clock, account, "staff.locked")
        raise AccountLocked("too many failed logins; try again later", locked_until=account.locked_until.isoformat())
    _audit(session, clock, account, "staff.login_failed")
    raise InvalidCredentials("wrong username or password")


def _audit(session: Session, clock: Clock, account: StaffAccount, action: str) -> None:
    audit.record(
        session=session,
        clock=clock,
        actor=staff_actor(account),
        action=action,
        subject_type="staff_account",
        subject_id=str(account.id),
    )


def resolve_session(*, session: Session, clock: Clock, token: str) -> StaffAccount:
    """The account behind a live session token, or :class:`SessionExpired`."""
    account = session.scalar(
        select(StaffAccount)
        .join(StaffSession, StaffSession.account_id == StaffAccount.id)
        .where(
            StaffSession.token_hash == hash_token(token),
            StaffSession.revoked.is_(False),
            StaffSession.expires_at > clock.now(),
            StaffAccount.active.is_(True),
        )
    )
    if account is None:
        raise SessionExpired("session expired or unknown; log in again")
    return account


def logout(*, session: Session, clock: Clock, token: str) -> None:
    """Revoke a session; an unknown or already revoked token is not an error (logging out twice is fine)."""
    staff_session = session.scalar(select(StaffSession).where(StaffSession.token_hash == hash_token(token)))
    if staff_session is None or staff_session.revoked:
        return
    staff_session.revoked = True
    account = session.get_one(StaffAccount, staff_session.account_id)
    _audit(session, clock, account, "staff.logout")
