"""An application's timeline and its change sequence (the field kit's down-sync cursor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, insert, select, update
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.core.database import insert_if_absent
from civicid.core.dialects import on_postgresql
from civicid.enrollment.models import Application, ApplicationEvent, ChangeCounter
from civicid.protocol.codes import Stage, StatusReason

_COUNTER = "application"
# Statements built once: on this path, building a statement costs more than running it. The event
# INSERT is a Core statement on the table, run on the connection: the ORM's bulk-insert path cost
# three times the statement itself, for rows that no ORM object stands for.
_INSERT_EVENT = insert(cast(Table, ApplicationEvent.__table__))
_BUMP = (
    update(ChangeCounter)
    .where(ChangeCounter.name == _COUNTER)
    .values(value=ChangeCounter.value + bindparam("count"))
    .returning(ChangeCounter.value)
)


def add_event(
    session: Session,
    clock: Clock,
    application_id: str,
    stage: Stage,
    outcome: str,
    *,
    actor: str,
    reason: StatusReason | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record a stage's outcome; the unique (application, stage) makes a repeated stage fail loudly."""
    row = {
        "application_id": application_id,
        "stage": stage,
        "outcome": outcome,
        "reason": reason,
        "actor": actor,
        "at": clock.now(),
        "details": details or {},
    }
    session.connection().execute(_INSERT_EVENT, row)


@dataclass(frozen=True)
class Event:
    """A stage's outcome waiting to be written with others of its batch (:func:`add_events`)."""

    application_id: str
    stage: Stage
    outcome: str
    actor: str
    reason: StatusReason | None = None
    details: dict[str, Any] = field(default_factory=dict)


def add_events(session: Session, clock: Clock, events: Sequence[Event]) -> None:
    """Record many outcomes in one INSERT; the unique (application, stage) still refuses a repeat."""
    if not events:
        return
    now = clock.now()
    rows = [
        {
            "application_id": e.application_id,
            "stage": e.stage,
            "outcome": e.outcome,
            "reason": e.reason,
            "actor": e.actor,
            "at": now,
            "details": e.details,
        }
        for e in events
    ]
    # One executemany: one call into C on SQLite, one pipeline on PostgreSQL, where psycopg parses the
    # query once; the multi-row INSERT that RETURNING made of it had hundreds of placeholders for
    # psycopg to parse on every run (docs/decisions/0029-executemany-on-postgresql.md).
    session.connection().execute(_INSERT_EVENT, rows)


def bump_change_seq(session: Session, application: Application) -> None:
    """Give the application the next change number; kits sync what changed after their cursor."""
    application.change_seq = next_change_seq(session)


def next_change_seq(session: Session) -> int:
    """The next change number, for a status change written without loading the application.

    The counter's row lock orders concurrent changes; the row is created on first use.
    """
    return _bump(session, 1)


def _bump(session: Session, count: int) -> int:
    """Add ``count`` to the counter; the new value (the last of the ``count`` numbers taken)."""
    connection = session.connection()
    value = connection.execute(_BUMP, {"count": count}).scalar()
    if value is None:
        insert_if_absent(session, ChangeCounter, {"name": _COUNTER, "value": 0})
        value = connection.execute(_BUMP, {"count": count}).scalar_one()
    return int(value)


# The counter's bump as a data-modifying CTE (PostgreSQL): the number rides in the statement that uses it.
NEXT_CHANGE = (
    update(ChangeCounter)
    .where(ChangeCounter.name == _COUNTER)
    .values(value=ChangeCounter.value + 1)
    .returning(ChangeCounter.value)
    .cte("next_change")
)


class NumberedUpdate:
    """An UPDATE of one application that also gives it the next change number; built once.

    ``statement`` sets ``change_seq`` from the parameter ``b_change_seq``. On PostgreSQL the
    counter's bump rides in the same statement (``WITH next_change AS (UPDATE change_counter …
    RETURNING value) UPDATE application SET change_seq = (SELECT value FROM next_change) …``): one
    round trip, not two, under the same row lock on the counter. SQLite cannot modify two tables in
    one statement, so it takes the number first (:func:`next_change_seq`), as before. Only for a
    statement that matches at most one row: every row it matched would get the same number.
    """

    def __init__(self, statement: Update) -> None:
        self.statement = statement
        # The number as a scalar subquery, not ``UPDATE … FROM next_change`` (a FROM not joined to
        # the application); the EXISTS leaves the row alone when the counter's row is missing.
        number = select(NEXT_CHANGE.c.value)
        numbered = statement.add_cte(NEXT_CHANGE).values(change_seq=number.scalar_subquery())
        self.combined = numbered.where(number.exists())

    def execute(self, session: Session, values: dict[str, Any]) -> bool:
        """Run it with ``values`` (less ``b_change_seq``); True if it updated the row."""
        connection = session.connection()
        if on_postgresql(connection) and connection.execute(self.combined, values).rowcount == 1:
            return True
        # Otherwise either the statement matched no row, or (PostgreSQL) the counter's row does not
        # exist yet and the CTE updated nothing: the two-statement path creates it and says which.
        numbered = {**values, "b_change_seq": next_change_seq(session)}
        return bool(connection.execute(self.statement, numbered).rowcount == 1)


def change_seqs(session: Session, count: int) -> range:
    """``count`` change numbers in order, taken with one counter update (nothing when ``count`` is 0)."""
    if count == 0:
        return range(0)
    last = _bump(session, count)
    return range(last - count + 1, last + 1)


def timeline(session: Session, application_id: str) -> list[ApplicationEvent]:
    query = select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
    return list(session.scalars(query.order_by(ApplicationEvent.id)).all())


__all__ = [
    "NEXT_CHANGE",
    "Event",
    "NumberedUpdate",
    "add_event",
    "add_events",
    "bump_change_seq",
    "change_seqs",
    "next_change_seq",
    "timeline",
]
