"""Children's accounts (DOMAIN.md: under 6, level 1 only, registered by a parent who holds level 2, on the
parent's phone number; the same for a child under 14 whose parent asks for it).

A level-2 parent adds a child under :data:`CHILD_MAX_AGE` as a level-1 account that has no phone of its
own: the registry's guardian link decides who may (``registry.service.guardians_of``). The child's
account is active at once — the parent's level-2 account, which proved the parent's identity in person,
answers for it — and is kept apart from the parent's (``GuardedAccount``). At 14 the child must bring
the account to their own phone and level 2; the app says so :data:`MOVE_NOTICE` ahead.

Every refusal (a level-1 parent, someone who is not the child's guardian, a child too old) is recorded
in the audit log before it is raised; the caller commits, then answers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.accounts import repository, service
from civicid.accounts.activation import holder_actor
from civicid.accounts.errors import ChildRefused
from civicid.accounts.models import AccountStatus, EidAccount, GuardedAccount
from civicid.core import audit
from civicid.core.clock import Clock
from civicid.country.age import age_on, birthday
from civicid.registry import service as registry
from civicid.registry.errors import PersonNotFound
from civicid.registry.schemas import PersonRead

CHILD_MAX_AGE = 14  # from 14 a person holds a card and an account of their own (DOMAIN.md)
CARD_REQUEST_MAX_AGE = 6  # under 6: the card is requested online, without biometrics
MOVE_NOTICE = dt.timedelta(days=90)


@dataclass(frozen=True)
class ChildAccount:
    """A child's account as the parent's app shows it."""

    account_id: str
    person_id: int
    full_name: str
    date_of_birth: dt.date
    age: int
    turns_14_on: dt.date
    move_soon: bool  # 14 within MOVE_NOTICE: the app tells the parent to prepare the move
    must_move: bool  # 14 or over: the account must go to the child's own phone and level 2
    card_by_request: bool  # under 6: the card is requested from the app (no biometrics)


def add_child(*, session: Session, clock: Clock, guardian_account_id: str, child_id_number: str) -> ChildAccount:
    """Add the child with ``child_id_number`` as a level-1 account under the parent's; idempotent per child."""
    actor = holder_actor(guardian_account_id)
    guardian = repository.get_account(session, guardian_account_id)
    if guardian is None or guardian.level < 2 or guardian.status is not AccountStatus.ACTIVE:
        refuse(session, clock, guardian_account_id, "guardian_level", None)
    child = _child_person(session, clock, guardian, child_id_number.strip())
    if child is None or guardian.person_id not in registry.guardians_of(session=session, child_id=child.id):
        refuse(session, clock, guardian_account_id, "not_guardian", None if child is None else child.id)
    if age_on(child.date_of_birth, clock.today()) >= CHILD_MAX_AGE:
        refuse(session, clock, guardian_account_id, "too_old", child.id)
    existing = repository.get_by_person(session, child.id, for_update=True)
    if existing is not None:
        link = session.get(GuardedAccount, existing.id)
        if link is None or link.guardian_account_id != guardian.id:
            refuse(session, clock, guardian_account_id, "already_has_account", child.id)
        return _child_account(child, existing.id, clock)
    issued = service.issue_account(
        session=session,
        clock=clock,
        actor=actor,
        person_id=child.id,
        id_number=child.id_number,
        phone=None,
        level=1,
        source=f"guardian:{guardian.id}",
    )
    account = repository.get_account(session, issued.id)
    assert account is not None  # noqa: S101 - issued just above, in this transaction
    now = clock.now()
    account.status, account.activated_at, account.updated_at = AccountStatus.ACTIVE, now, now
    session.add(GuardedAccount(account_id=account.id, guardian_account_id=guardian.id, added_at=now))
    service.audit_account(session, clock, actor, "account.child_add", account, {"guardian_account_id": guardian.id})
    return _child_account(child, account.id, clock)


def children_of(*, session: Session, clock: Clock, guardian_account_id: str) -> list[ChildAccount]:
    """The children's accounts a parent holds, youngest last."""
    rows = session.execute(
        select(EidAccount.id, EidAccount.person_id)
        .join(GuardedAccount, GuardedAccount.account_id == EidAccount.id)
        .where(GuardedAccount.guardian_account_id == guardian_account_id)
        .order_by(GuardedAccount.added_at)
    ).all()
    actor = holder_actor(guardian_account_id)
    return [
        _child_account(
            registry.get_person(session=session, clock=clock, actor=actor, person_id=person_id), account_id, clock
        )
        for account_id, person_id in rows
    ]


def child_of(*, session: Session, clock: Clock, guardian_account_id: str, child_account_id: str) -> ChildAccount:
    """One of the parent's children's accounts; :class:`ChildRefused` (``not_a_child_account``) otherwise."""
    link = session.get(GuardedAccount, child_account_id)
    if link is None or link.guardian_account_id != guardian_account_id:
        refuse(session, clock, guardian_account_id, "not_a_child_account", None)
    account = repository.get_account(session, child_account_id)
    assert account is not None  # noqa: S101 - the link's foreign key
    person = registry.get_person(
        session=session, clock=clock, actor=holder_actor(guardian_account_id), person_id=account.person_id
    )
    return _child_account(person, account.id, clock)


def guarded_counts(*, session: Session) -> int:
    """How many children's accounts parents hold (the campaign's figures)."""
    return len(session.scalars(select(GuardedAccount.account_id)).all())


def _child_person(session: Session, clock: Clock, guardian: EidAccount, id_number: str) -> PersonRead | None:
    if len(id_number) != 12 or not id_number.isdigit():
        return None
    try:
        return registry.get_person_by_id_number(
            session=session, clock=clock, actor=holder_actor(guardian.id), id_number=id_number
        )
    except PersonNotFound:
        return None


def _child_account(person: PersonRead, account_id: str, clock: Clock) -> ChildAccount:
    today = clock.today()
    turns = birthday(person.date_of_birth, CHILD_MAX_AGE)
    age = age_on(person.date_of_birth, today)
    return ChildAccount(
        account_id=account_id,
        person_id=person.id,
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        age=age,
        turns_14_on=turns,
        move_soon=today < turns <= today + MOVE_NOTICE,
        must_move=turns <= today,
        card_by_request=age < CARD_REQUEST_MAX_AGE,
    )


def refuse(session: Session, clock: Clock, guardian_account_id: str, reason: str, child_id: int | None) -> NoReturn:
    """Record a refusal about a child in the audit log, then raise it: the caller commits before answering."""
    audit.record(
        session=session,
        clock=clock,
        actor=holder_actor(guardian_account_id),
        action="account.child_refuse",
        subject_type="person" if child_id is not None else "account",
        subject_id=str(child_id) if child_id is not None else guardian_account_id,
        details={"reason": reason, "guardian_account_id": guardian_account_id},
    )
    raise ChildRefused(f"refused for this child: {reason}", reason=reason)
