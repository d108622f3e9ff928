"""All of the outbox's SQL; the session is the caller's and is never committed here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from civicid.core.database import insert_if_absent
from civicid.core.dialects import insert_into, per_dialect
from civicid.notify.models import Channel, Notification, NotificationState


def insert_if_new(session: Session, values: dict[str, Any]) -> None:
    """``INSERT … ON CONFLICT DO NOTHING``: a row with the same idempotency key already there wins.

    On PostgreSQL a concurrent, uncommitted insert of the same key makes this wait for that
    transaction, then do nothing if it committed; no error reaches the caller's transaction.
    """
    insert_if_absent(session, Notification, values, index_elements=["idempotency_key"])


def insert_many_if_new(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """:func:`insert_if_new` for many rows in one statement (Core, on the connection, built once)."""
    connection = session.connection()
    connection.execute(_INSERT_MANY_IF_NEW[connection.dialect.name], list(rows))


# Per dialect, built once (the pipeline's issue stage queues its SMS with it); an executemany, which
# psycopg pipelines on PostgreSQL (docs/decisions/0029-executemany-on-postgresql.md).
_INSERT_MANY_IF_NEW = per_dialect(
    lambda dialect: insert_into(Notification, dialect).on_conflict_do_nothing(index_elements=["idempotency_key"])
)


def get_by_key(session: Session, idempotency_key: str) -> Notification:
    return session.scalars(select(Notification).where(Notification.idempotency_key == idempotency_key)).one()


def claim_due(session: Session, *, now: dt.datetime, lease_until: dt.datetime, limit: int) -> Sequence[Notification]:
    """Take up to ``limit`` due messages: count the attempt and hide them from others until ``lease_until``.

    On PostgreSQL, ``FOR UPDATE SKIP LOCKED`` lets several dispatchers claim disjoint batches; SQLite
    has one writer at a time (every write transaction begins IMMEDIATE), which serialises them.
    """
    query = (
        select(Notification)
        .where(Notification.state == NotificationState.QUEUED, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.scalars(query).all()
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = lease_until
    return rows


def mark_sent(session: Session, notification_id: str, *, at: dt.datetime, message_id: str) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(state=NotificationState.SENT, sent_at=at, gateway_message_id=message_id, last_error=None)
    )


# Back in the queue, due at ``b_at``: a message still under the claim that leased it until ``b_lease``
# with ``b_attempts`` counted (not one another dispatcher claimed since), less ``b_refund`` attempts.
_REQUEUE = (
    update(Notification)
    .where(
        Notification.id == bindparam("b_id"),
        Notification.state == NotificationState.QUEUED,
        Notification.attempts == bindparam("b_attempts"),
        Notification.next_attempt_at == bindparam("b_lease"),
    )
    .values(attempts=Notification.attempts - bindparam("b_refund", type_=Integer), next_attempt_at=bindparam("b_at"))
)


def requeue_claimed(
    session: Session, claimed: Sequence[tuple[str, int, int]], *, lease_until: dt.datetime, at: dt.datetime
) -> None:
    """Make claimed messages that were not sent due again at ``at``, instead of when their lease ends.

    Each of ``claimed`` is (id, attempts after the claim, attempts to give back).
    """
    if claimed:
        rows = [
            {"b_id": i, "b_attempts": attempts, "b_refund": refund, "b_lease": lease_until, "b_at": at}
            for i, attempts, refund in claimed
        ]
        session.connection().execute(_REQUEUE, rows)


def mark_failed(
    session: Session, notification_id: str, *, state: NotificationState, retry_at: dt.datetime, error: str
) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.state == NotificationState.QUEUED)
        .values(state=state, next_attempt_at=retry_at, last_error=error[:200])
    )


def list_recent(
    session: Session,
    *,
    channel: Channel,
    limit: int,
    offset: int = 0,
    related_type: str | None = None,
    related_id: str | None = None,
    commune_code: str | None = None,
    state: NotificationState | None = None,
    template: str | None = None,
) -> Sequence[Notification]:
    query = _filtered(select(Notification), channel, related_type, related_id, state, template, commune_code)
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).offset(offset).limit(limit)
    return session.scalars(query).all()


def count_recent(
    session: Session,
    *,
    channel: Channel,
    state: NotificationState | None = None,
    template: str | None = None,
    commune_code: str | None = None,
) -> int:
    """How many messages the same filters select (the page says "1–50 of 261")."""
    query = _filtered(
        select(func.count()).select_from(Notification), channel, None, None, state, template, commune_code
    )
    return int(session.scalar(query) or 0)


def templates_used(session: Session, *, channel: Channel, commune_code: str | None = None) -> list[str]:
    """The templates that occur in the outbox (the commune's, for staff bound to one), for the page's filter."""
    query = _filtered(select(Notification.template), channel, None, None, None, None, commune_code).distinct()
    return sorted(session.scalars(query))


def _filtered(
    query: Select[Any],
    channel: Channel,
    related_type: str | None,
    related_id: str | None,
    state: NotificationState | None,
    template: str | None,
    commune_code: str | None,
) -> Select[Any]:
    query = query.where(Notification.channel == channel)
    if commune_code is not None:
        query = query.where(Notification.commune_code == commune_code)
    if related_type is not None:
        query = query.where(Notification.related_type == related_type)
    if related_id is not None:
        query = query.where(Notification.related_id == related_id)
    if state is not None:
        query = query.where(Notification.state == state)
    if template is not None:
        query = query.where(Notification.template == template)
    return query
