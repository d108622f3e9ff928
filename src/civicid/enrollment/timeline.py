"""An application's timeline and its change sequence (the field kit's down-sync cursor)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.core.database import insert_if_absent
from civicid.enrollment.models import Application, ApplicationEvent, ChangeCounter

_COUNTER = "application"


def add_event(
    session: Session,
    clock: Clock,
    application_id: str,
    stage: str,
    outcome: str,
    *,
    actor: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record a stage's outcome; the unique (application, stage) makes a repeated stage fail loudly."""
    session.add(
        ApplicationEvent(
            application_id=application_id,
            stage=stage,
            outcome=outcome,
            reason=reason,
            actor=actor,
            at=clock.now(),
            details=details or {},
        )
    )
    session.flush()  # A stage recorded twice must fail here, inside the stage's own transaction.


def bump_change_seq(session: Session, application: Application) -> None:
    """Give the application the next change number; kits sync what changed after their cursor.

    The counter's row lock orders concurrent changes; the row is created on first use.
    """
    bump = (
        update(ChangeCounter)
        .where(ChangeCounter.name == _COUNTER)
        .values(value=ChangeCounter.value + 1)
        .returning(ChangeCounter.value)
    )
    value = session.execute(bump).scalar()
    if value is None:
        insert_if_absent(session, ChangeCounter, {"name": _COUNTER, "value": 0})
        value = session.execute(bump).scalar_one()
    application.change_seq = value


def timeline(session: Session, application_id: str) -> list[ApplicationEvent]:
    query = select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
    return list(session.scalars(query.order_by(ApplicationEvent.id)).all())


__all__ = ["add_event", "bump_change_seq", "timeline"]
