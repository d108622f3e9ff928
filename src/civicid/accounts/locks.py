"""Locking and unlocking an e-ID account, each lock with its ground and its history (Decree 69/2024 art. 15).

An account is locked while any of its locks is unlifted; a locked account cannot log in, and its
sessions end when the lock is placed. Lifting the last lock returns it to where it stood (active, or
pending activation if it never was activated). Who may place and lift which ground:

- the holder (:data:`LockGround.HOLDER`): placed in the app with the passcode, or from any browser
  with the password and an SMS code when the phone is lost; lifted with the password, the passcode
  and an SMS code (``holder.py``);
- an officer (form TK03, a breach, an authority's request): placed by an operator, lifted by a
  supervisor, each with a reason (``router.py``, staff);
- the registry (death, an ID card revoked or expired): placed and lifted by the records themselves
  (:func:`reconcile_registry_grounds`, run by a job when a person's record changes).

Locks are never deleted: with their lifting they are the account's locking history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.accounts import repository
from civicid.accounts.errors import AccountNotFound, InvalidAccountInput, LockNotFound, LockNotLiftable
from civicid.accounts.models import (
    AUTOMATIC_GROUNDS,
    OFFICER_GROUNDS,
    AccountLock,
    AccountStatus,
    EidAccount,
    LockGround,
)
from civicid.accounts.service import audit_account
from civicid.core import jobs
from civicid.core.audit import SYSTEM, Actor
from civicid.core.clock import Clock
from civicid.core.ids import new_id

REASON_MAX = 200
#: The event "the account's status changed" (locked, unlocked) as a job whose handler the composition chooses
#: (subject: the person's id): the credentials issued to the holder are suspended with the account.
STATUS_CHANGED = "accounts.status_changed"


class LockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    ground: LockGround
    reason: str
    placed_by: str
    placed_at: dt.datetime
    lifted_by: str | None
    lifted_at: dt.datetime | None
    lift_reason: str | None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


def place_lock(
    *, session: Session, clock: Clock, actor: Actor, account_id: str, ground: LockGround, reason: str
) -> LockRead:
    """Lock the account on ``ground``; its sessions end now. A second lock on the same ground is its own row."""
    account = _account(session, account_id)
    lock = AccountLock(
        id=new_id(),
        account_id=account.id,
        ground=ground,
        reason=_reason(reason),
        placed_by=str(actor),
        placed_at=clock.now(),
    )
    session.add(lock)
    account.status, account.updated_at = AccountStatus.LOCKED, clock.now()
    repository.end_sessions(session, account.id)
    jobs.rearm(session=session, clock=clock, kind=STATUS_CHANGED, subject_id=str(account.person_id))
    audit_account(session, clock, actor, "account.lock", account, {"lock_id": lock.id, "ground": ground.value})
    return LockRead.model_validate(lock)


def lift_lock(*, session: Session, clock: Clock, actor: Actor, account_id: str, lock_id: str, reason: str) -> LockRead:
    """Lift one lock; the account unlocks when it was the last."""
    account = _account(session, account_id)
    lock = session.get(AccountLock, lock_id, with_for_update=True)
    if lock is None or lock.account_id != account.id:
        raise LockNotFound(f"no lock {lock_id} on this account")
    if lock.lifted_at is not None:
        raise LockNotLiftable("this lock is lifted already")
    _lift(session, clock, actor, account, lock, reason)
    return LockRead.model_validate(lock)


def place_officer_lock(
    *, session: Session, clock: Clock, actor: Actor, account_id: str, ground: str, reason: str
) -> LockRead:
    """An officer's lock: on form TK03, a breach or an authority's request; any other ground is refused."""
    chosen = next((g for g in OFFICER_GROUNDS if g.value == ground), None)
    if chosen is None:
        raise InvalidAccountInput("an officer locks on tk03, breach or authority", field="ground")
    return place_lock(session=session, clock=clock, actor=actor, account_id=account_id, ground=chosen, reason=reason)


def lift_officer_lock(
    *, session: Session, clock: Clock, actor: Actor, account_id: str, lock_id: str, reason: str
) -> LockRead:
    """A supervisor lifts an officer's lock; the holder's and the registry's are not theirs to lift."""
    lock = session.get(AccountLock, lock_id)
    if lock is not None and lock.account_id == account_id and lock.ground not in OFFICER_GROUNDS:
        raise LockNotLiftable("only the holder lifts their own lock; the registry's lift with the record")
    return lift_lock(session=session, clock=clock, actor=actor, account_id=account_id, lock_id=lock_id, reason=reason)


def lift_grounds(
    *, session: Session, clock: Clock, actor: Actor, account_id: str, grounds: Iterable[LockGround], reason: str
) -> list[LockRead]:
    """Lift every active lock of these grounds (the holder's own, the registry's); returns those lifted."""
    account = _account(session, account_id)
    wanted = set(grounds)
    lifted = []
    for lock in _active_locks(session, account.id):
        if lock.ground in wanted:
            _lift(session, clock, actor, account, lock, reason)
            lifted.append(LockRead.model_validate(lock))
    return lifted


def locks_of(*, session: Session, account_id: str) -> list[LockRead]:
    """Every lock of the account, newest first: its locking history."""
    rows = session.scalars(
        select(AccountLock).where(AccountLock.account_id == account_id).order_by(AccountLock.placed_at.desc())
    )
    return [LockRead.model_validate(row) for row in rows]


def active_grounds(*, session: Session, account_id: str) -> set[LockGround]:
    return {lock.ground for lock in _active_locks(session, account_id)}


def reconcile_registry_grounds(
    *, session: Session, clock: Clock, account_id: str, dead: bool, card_invalid: bool
) -> None:
    """Place or lift the registry's grounds so that they match the record: death, and an invalid ID card."""
    account = _account(session, account_id)
    held = {lock.ground for lock in _active_locks(session, account.id)}
    for ground, applies in ((LockGround.DEATH, dead), (LockGround.CARD_INVALID, card_invalid)):
        if applies and ground not in held:
            place_lock(
                session=session, clock=clock, actor=SYSTEM, account_id=account.id, ground=ground, reason="registry"
            )
        elif not applies and ground in held:
            lift_grounds(
                session=session, clock=clock, actor=SYSTEM, account_id=account.id, grounds=[ground], reason="registry"
            )


def _lift(session: Session, clock: Clock, actor: Actor, account: EidAccount, lock: AccountLock, reason: str) -> None:
    if lock.ground in AUTOMATIC_GROUNDS and actor != SYSTEM:
        raise LockNotLiftable("the registry's grounds lift when the record changes, not by hand")
    now = clock.now()
    lock.lifted_by, lock.lifted_at, lock.lift_reason = str(actor), now, _reason(reason)
    session.flush()  # The remaining locks are counted below, this one lifted.
    if not _active_locks(session, account.id):
        account.status = AccountStatus.ACTIVE if account.activated_at is not None else AccountStatus.PENDING_ACTIVATION
    account.updated_at = now
    jobs.rearm(session=session, clock=clock, kind=STATUS_CHANGED, subject_id=str(account.person_id))
    details = {"lock_id": lock.id, "ground": lock.ground.value, "status": account.status.value}
    audit_account(session, clock, actor, "account.unlock", account, details)


def _active_locks(session: Session, account_id: str) -> list[AccountLock]:
    return list(
        session.scalars(
            select(AccountLock).where(AccountLock.account_id == account_id, AccountLock.lifted_at.is_(None))
        )
    )


def _account(session: Session, account_id: str) -> EidAccount:
    account = repository.get_account(session, account_id)
    if account is None:
        raise AccountNotFound("no such e-ID account")
    if account.status is AccountStatus.CLOSED:
        raise LockNotLiftable("a closed account is neither locked nor unlocked")
    return account


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not text or len(text) > REASON_MAX:
        raise InvalidAccountInput(f"a reason has 1 to {REASON_MAX} characters", field="reason")
    return text
