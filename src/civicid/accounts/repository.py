"""All of the accounts' SQL; the session is the caller's and is never committed here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from civicid.accounts.models import (
    AccountCode,
    AccountCredential,
    AccountDevice,
    AccountStatus,
    CodePurpose,
    EidAccount,
    GuardedAccount,
    HolderSession,
)


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


def pending_by_pair(session: Session, id_number: str, phone: str) -> EidAccount | None:
    """The account issued to this ID number on this phone and waiting for activation, locked for update."""
    query = select(EidAccount).where(
        EidAccount.id_number == id_number,
        EidAccount.phone == phone,
        EidAccount.status == AccountStatus.PENDING_ACTIVATION,
    )
    return session.scalars(query.with_for_update()).one_or_none()


def activated_by_id_number(session: Session, id_number: str) -> EidAccount | None:
    """The account of this ID number that its holder activated (active now, or locked since), locked for update."""
    query = select(EidAccount).where(
        EidAccount.id_number == id_number, EidAccount.status.in_((AccountStatus.ACTIVE, AccountStatus.LOCKED))
    )
    return session.scalars(query.with_for_update()).first()


def get_code(session: Session, account_id: str, purpose: CodePurpose) -> AccountCode | None:
    return session.get(AccountCode, (account_id, purpose), with_for_update=True)


def code_by_ticket(session: Session, ticket_hash: str) -> AccountCode | None:
    return session.scalars(
        select(AccountCode).where(AccountCode.ticket_hash == ticket_hash).with_for_update()
    ).one_or_none()


def get_account(session: Session, account_id: str) -> EidAccount | None:
    return session.get(EidAccount, account_id, with_for_update=True)


def get_credential(session: Session, account_id: str) -> AccountCredential | None:
    return session.get(AccountCredential, account_id, with_for_update=True)


def get_device(session: Session, account_id: str) -> AccountDevice | None:
    return session.get(AccountDevice, account_id)


def get_session(session: Session, token_hash: str) -> HolderSession | None:
    return session.get(HolderSession, token_hash)


def end_sessions(session: Session, account_id: str) -> None:
    session.execute(delete(HolderSession).where(HolderSession.account_id == account_id))


def end_session(session: Session, token_hash: str) -> None:
    session.execute(delete(HolderSession).where(HolderSession.token_hash == token_hash))


def release_guarded(session: Session, account_id: str) -> str | None:
    """End a child's account's link to the parent's; the parent's account id, or None if it had none."""
    link = session.get(GuardedAccount, account_id)
    if link is None:
        return None
    session.delete(link)
    return link.guardian_account_id


def unbind_device(session: Session, account_id: str) -> None:
    session.execute(delete(AccountDevice).where(AccountDevice.account_id == account_id))


def accounts_of_persons(session: Session, person_ids: Sequence[int], status: AccountStatus) -> Sequence[EidAccount]:
    """The accounts of these persons in ``status`` (a village's residents: a few hundred ids)."""
    if not person_ids:
        return []
    query = select(EidAccount).where(EidAccount.person_id.in_(person_ids), EidAccount.status == status)
    return session.scalars(query).all()
