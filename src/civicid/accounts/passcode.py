"""The passcode: six digits that open each wallet document and confirm every sensitive action (DOMAIN.md).

The server checks it, never the app alone. :data:`MAX_FAILED_PASSCODES` wrong passcodes in a row
lock the passcode for :data:`PASSCODE_LOCKOUT` and end the account's sessions: someone holding an
unlocked phone must then also know the password. A wrong passcode is counted and audited before it
is refused (``errors.RECORDED_REFUSALS``: the edge commits, then raises).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from civicid.accounts import repository
from civicid.accounts.activation import holder_actor
from civicid.accounts.errors import HolderSessionInvalid, InvalidPasscode, PasscodeLocked
from civicid.accounts.hashing import PRODUCTION, SecretHasher
from civicid.accounts.service import audit_account
from civicid.core.clock import Clock

MAX_FAILED_PASSCODES = 5
PASSCODE_LOCKOUT = dt.timedelta(minutes=15)


def verify_passcode(
    *, session: Session, clock: Clock, account_id: str, passcode: str, action: str, hasher: SecretHasher = PRODUCTION
) -> None:
    """Confirm ``action`` (``"open_document"``, ``"lock"``…) with the holder's passcode, or refuse and count."""
    account = repository.get_account(session, account_id)
    credential = repository.get_credential(session, account_id)
    if account is None or credential is None:
        raise HolderSessionInvalid("the account has no passcode")
    now = clock.now()
    actor = holder_actor(account.id)
    if credential.passcode_locked_until is not None and credential.passcode_locked_until > now:
        retry = int((credential.passcode_locked_until - now).total_seconds()) + 1
        audit_account(session, clock, actor, "account.passcode_refuse", account, {"action": action, "locked": True})
        raise PasscodeLocked("the passcode is locked after too many wrong tries", retry_after_seconds=retry)
    if hasher.verify(credential.passcode_hash, passcode):
        credential.failed_passcodes, credential.passcode_locked_until = 0, None
        return
    credential.failed_passcodes += 1
    locked = credential.failed_passcodes >= MAX_FAILED_PASSCODES
    if locked:
        credential.failed_passcodes, credential.passcode_locked_until = 0, now + PASSCODE_LOCKOUT
        repository.end_sessions(session, account.id)
    audit_account(session, clock, actor, "account.passcode_refuse", account, {"action": action, "locked": locked})
    raise InvalidPasscode("the passcode is wrong", attempts_left=MAX_FAILED_PASSCODES - credential.failed_passcodes)
