"""All of the accounts' SQL; the session is the caller's and is never committed here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.accounts.models import AccountStatus, EidAccount


def get_by_person(session: Session, person_id: int, *, for_update: bool = False) -> EidAccount | None:
    query = select(EidAccount).where(EidAccount.person_id == person_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def get_by_phone(session: Session, phone: str) -> EidAccount | None:
    return session.scalars(select(EidAccount).where(EidAccount.phone == phone)).one_or_none()


def counts_by_level_and_status(session: Session) -> Sequence[tuple[int, AccountStatus, int]]:
    rows = session.execute(
        select(EidAccount.level, EidAccount.status, func.count()).group_by(EidAccount.level, EidAccount.status)
    ).all()
    return [(level, status, count) for level, status, count in rows]
