"""All of the wallet's SQL; the session is the caller's and is never committed here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.core.dialects import dialect_of, insert_into, per_dialect
from civicid.country.documents import DocumentKind
from civicid.registry.queries import persons, villages
from civicid.wallet.models import DocumentStatus, WalletDocument, WalletPortrait


def existing_keys(session: Session, person_ids: Sequence[int]) -> set[tuple[int, str, str]]:
    """(person, kind, number) of the documents these holders already have, in one query."""
    query = select(WalletDocument.person_id, WalletDocument.kind, WalletDocument.number).where(
        WalletDocument.person_id.in_(set(person_ids))
    )
    return {(p, str(k), n) for p, k, n in session.execute(query)}


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One INSERT for the lot; a (holder, kind, number) inserted meanwhile by another transaction is kept.

    Core on the connection, with the statement built once: the ORM's bulk path cost more per row
    than the statement itself (the issue stage hands over about two documents per application).
    """
    connection = session.connection()
    connection.execute(_INSERT_NEW[connection.dialect.name], list(rows))


# An executemany, which psycopg pipelines on PostgreSQL (docs/decisions/0029-executemany-on-postgresql.md).
_INSERT_NEW = per_dialect(
    lambda dialect: insert_into(WalletDocument, dialect).on_conflict_do_nothing(
        index_elements=["person_id", "kind", "number"]
    )
)


def of_holder(session: Session, person_id: int, *, statuses: Sequence[DocumentStatus] = ()) -> Sequence[WalletDocument]:
    """The holder's documents (of ``statuses``, locked for the caller's update, when given)."""
    query = select(WalletDocument).where(WalletDocument.person_id == person_id)
    if statuses:
        query = query.where(WalletDocument.status.in_(statuses)).with_for_update()
    return session.scalars(query.order_by(WalletDocument.kind, WalletDocument.number)).all()


def get(session: Session, document_id: str, *, for_update: bool = False) -> WalletDocument | None:
    return session.get(WalletDocument, document_id, with_for_update=for_update)


def find(session: Session, person_id: int, kind: DocumentKind, number: str) -> WalletDocument | None:
    query = select(WalletDocument).where(
        WalletDocument.person_id == person_id, WalletDocument.kind == kind, WalletDocument.number == number
    )
    return session.scalars(query.with_for_update()).first()


def upsert_portraits(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert each holder's portrait, or replace the one they had (one statement for the lot)."""
    if not rows:
        return
    statement = insert_into(WalletPortrait, dialect_of(session))
    replaced = {c: getattr(statement.excluded, c) for c in ("media_type", "sealed", "source", "stored_at")}
    session.execute(statement.on_conflict_do_update(index_elements=["person_id"], set_=replaced), list(rows))


def portrait(session: Session, person_id: int) -> WalletPortrait | None:
    return session.get(WalletPortrait, person_id)


def has_portrait(session: Session, person_id: int) -> bool:
    return session.scalar(select(WalletPortrait.person_id).where(WalletPortrait.person_id == person_id)) is not None


def integrated_by_village(session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    """Documents integrated, by the holder's village (a read of the registry's places, as campaign's are)."""
    query = (
        select(persons.c.village_id, func.count())
        .select_from(WalletDocument)
        .join(persons, persons.c.id == WalletDocument.person_id)
        .join(villages, villages.c.id == persons.c.village_id)
        .where(villages.c.commune_code.in_(commune_codes), WalletDocument.status == DocumentStatus.INTEGRATED)
        .group_by(persons.c.village_id)
    )
    return {village_id: int(n) for village_id, n in session.execute(query)}
