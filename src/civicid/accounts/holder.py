"""What a holder does with their own account once it is active: lock it, report a lost phone, unlock,
see the devices and the account's usage history.

Every step that changes the account is confirmed the way DOMAIN.md asks: the passcode in the app, or
the password and an SMS code from any browser when the phone is gone. Refusals that count (wrong
password, code or passcode) are recorded before they are raised (``errors.RECORDED_REFUSALS``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from civicid.accounts import codes, repository
from civicid.accounts.activation import CodeRequested, holder_actor
from civicid.accounts.errors import AccountNotFound, LockNotLiftable
from civicid.accounts.hashing import PRODUCTION, SecretHasher
from civicid.accounts.locks import LockRead, active_grounds, lift_grounds, locks_of, place_lock
from civicid.accounts.login import Holder, check_password
from civicid.accounts.models import AccountStatus, CodePurpose, LockGround
from civicid.accounts.passcode import verify_passcode
from civicid.accounts.service import audit_account
from civicid.core import audit
from civicid.core.clock import Clock

#: Decree 69/2024 art. 28: the usage history of an e-ID is kept five years.
HISTORY_YEARS = 5
HISTORY_PAGE = 50
LOST_PHONE = "lost_phone"


def lock_self(
    *, session: Session, clock: Clock, holder: Holder, passcode: str, hasher: SecretHasher = PRODUCTION
) -> LockRead:
    """The holder locks their own account in the app, confirming with the passcode; the session ends."""
    verify_passcode(
        session=session, clock=clock, account_id=holder.account_id, passcode=passcode, action="lock", hasher=hasher
    )
    return place_lock(
        session=session,
        clock=clock,
        actor=holder_actor(holder.account_id),
        account_id=holder.account_id,
        ground=LockGround.HOLDER,
        reason="holder_request",
    )


def request_code(
    *,
    session: Session,
    clock: Clock,
    id_number: str,
    password: str,
    purpose: CodePurpose,
    hasher: SecretHasher = PRODUCTION,
) -> CodeRequested:
    """After the password, an SMS code to the account's phone: to lock a lost phone, or to unlock."""
    account, _ = check_password(session=session, clock=clock, id_number=id_number, password=password, hasher=hasher)
    sent = codes.send_code(session, clock, account, purpose, hasher)
    action = f"account.{purpose.value}_code_request"
    audit_account(session, clock, holder_actor(account.id), action, account, {"sent": sent})
    return CodeRequested()


def lock_lost_phone(
    *, session: Session, clock: Clock, id_number: str, password: str, code: str, hasher: SecretHasher = PRODUCTION
) -> LockRead:
    """ "I lost my phone": from any browser, the password and an SMS code lock the account and unbind the phone."""
    account, _ = check_password(session=session, clock=clock, id_number=id_number, password=password, hasher=hasher)
    codes.check_code(session, clock, account, CodePurpose.LOST_PHONE, code, hasher)
    actor = holder_actor(account.id)
    lock = place_lock(
        session=session, clock=clock, actor=actor, account_id=account.id, ground=LockGround.HOLDER, reason=LOST_PHONE
    )
    repository.unbind_device(session, account.id)
    audit_account(session, clock, actor, "account.device_unbind", account, {"reason": LOST_PHONE})
    return lock


@dataclass(frozen=True)
class Unlocked:
    status: AccountStatus
    grounds_left: list[str]


def unlock_self(
    *,
    session: Session,
    clock: Clock,
    id_number: str,
    password: str,
    passcode: str,
    code: str,
    hasher: SecretHasher = PRODUCTION,
) -> Unlocked:
    """Lift the holder's own locks with password, passcode and an SMS code; other grounds stay."""
    account, _ = check_password(session=session, clock=clock, id_number=id_number, password=password, hasher=hasher)
    if LockGround.HOLDER not in active_grounds(session=session, account_id=account.id):
        raise LockNotLiftable("the account has no lock of its holder's to lift")
    codes.check_code(session, clock, account, CodePurpose.UNLOCK, code, hasher)
    verify_passcode(
        session=session, clock=clock, account_id=account.id, passcode=passcode, action="unlock", hasher=hasher
    )
    lift_grounds(
        session=session,
        clock=clock,
        actor=holder_actor(account.id),
        account_id=account.id,
        grounds=[LockGround.HOLDER],
        reason="holder_request",
    )
    left = sorted(g.value for g in active_grounds(session=session, account_id=account.id))
    return Unlocked(account.status, left)


@dataclass(frozen=True)
class DeviceView:
    device_id: str
    bound_at: dt.datetime
    current: bool


def devices_of(*, session: Session, holder: Holder) -> list[DeviceView]:
    """The bound device, then the devices bound before it (from the account's history), newest first."""
    bound = repository.get_device(session, holder.account_id)
    if bound is None:
        raise AccountNotFound("the account has no bound device")
    views = [DeviceView(bound.device_id, bound.bound_at, current=True)]
    for entry in audit.entries_for_subject(session=session, subject_type="person", subject_id=str(holder.person_id)):
        details = entry.details or {}
        if entry.action in {"account.activate", "account.device_bind"} and details.get("device_id") != bound.device_id:
            views.append(DeviceView(str(details.get("device_id")), entry.at, current=False))
    return [views[0], *sorted(views[1:], key=lambda v: v.bound_at, reverse=True)]


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: dt.datetime
    action: str
    actor_kind: str
    actor: str
    details: dict[str, Any]


def usage_history(
    *, session: Session, clock: Clock, holder: Holder, before_seq: int | None = None, limit: int = HISTORY_PAGE
) -> list[HistoryEntry]:
    """The account's usage history, newest first, kept five years (Decree 69/2024 art. 28): every read of the
    holder's record, every login, every staff action on the account, from the audit chain."""
    since = clock.now() - dt.timedelta(days=365 * HISTORY_YEARS + HISTORY_YEARS // 4 + 1)
    entries = audit.page_for_subject(
        session=session,
        subject_type="person",
        subject_id=str(holder.person_id),
        since=since,
        before_seq=before_seq,
        limit=min(max(limit, 1), HISTORY_PAGE),
    )
    return [_history_entry(e, holder) for e in entries]


def locking_history(*, session: Session, holder_account_id: str) -> list[LockRead]:
    return locks_of(session=session, account_id=holder_account_id)


def _history_entry(entry: audit.AuditEntry, holder: Holder) -> HistoryEntry:
    kind, _, name = entry.actor.partition(":")
    if kind == "holder":
        name = "self" if name == holder.account_id else "holder"
    elif kind not in {"staff", "system", "public", "device"}:
        kind, name = "system", "civicid"
    details = {k: v for k, v in (entry.details or {}).items() if k in _SHOWN_DETAILS}
    return HistoryEntry(entry.seq, entry.at, entry.action, kind, name, details)


# What the holder sees of an entry's details: kinds and outcomes, never another person's ids.
_SHOWN_DETAILS = frozenset(
    {"reason", "ground", "kind", "status", "fields", "documents", "locked", "action", "level", "service"}
)
