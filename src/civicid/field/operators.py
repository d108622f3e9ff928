"""The people who log in on a kit: operators capture, supervisors also review (maker-checker).

Kits are shared between the members of a team, so every capture, review and visit names who did
it. Passwords are hashed with Argon2id (the same parameters as staff accounts); five wrong passwords
in a row lock the account on this kit until a supervisor resets it from the command line. Each
operator's password also unwraps the kit's store key (``unlock.py``): the kit opens for any of them.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from civicid.field.errors import InvalidCapture, OperatorLoginFailed
from civicid.field.kit import Kit
from civicid.field.models import KitOperator, OperatorRole
from civicid.field.unlock import KitLogin

MAX_FAILED_LOGINS = 5
MIN_PASSWORD_LENGTH = 8
_HASHER = PasswordHasher()


def add_operator(
    *, kit: Kit, session: Session, username: str, full_name: str, role: OperatorRole, password: str
) -> KitOperator:
    """Add (or reset the password and lock of) an operator on this kit.

    The password also unlocks the kit from now on: the operator's wrap of the store key is written
    once the transaction commits (a rolled-back one grants nothing).
    """
    check_password(password)
    operator = session.get(KitOperator, username)
    if operator is None:
        operator = KitOperator(username=username, full_name=full_name, role=role, failed_logins=0)
        session.add(operator)
    operator.full_name, operator.role, operator.failed_logins = full_name, role, 0
    operator.password_hash = _HASHER.hash(password)
    session.flush()
    kit.grant_after_commit(session, KitLogin(username, password))
    return operator


def check_password(password: str) -> None:
    """Refuse a password too short to guard the kit's data (checked before anything is set up)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidCapture(f"a kit password has at least {MIN_PASSWORD_LENGTH} characters", field="password")


def log_in(*, session: Session, username: str, password: str) -> KitOperator:
    """The operator, if the password is right and the account not locked; the failure counts either way."""
    operator = session.get(KitOperator, username)
    if operator is None:
        _HASHER.hash(password)  # the same work for an unknown name: no user enumeration by timing
        raise OperatorLoginFailed("wrong user name or password")
    if operator.failed_logins >= MAX_FAILED_LOGINS:
        raise OperatorLoginFailed("this account is locked on this kit: ask the supervisor to reset it")
    try:
        _HASHER.verify(operator.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        operator.failed_logins += 1
        raise OperatorLoginFailed("wrong user name or password") from exc
    operator.failed_logins = 0
    return operator
