"""What a field kit is told of applications at its down-sync: its own, and its residents' progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.enrollment.models import Application

CHANGES_PER_SYNC = 500


@dataclass(frozen=True)
class ApplicationChange:
    application_id: str
    status: str
    status_reason: str | None
    change_seq: int


def device_application_changes(
    *, session: Session, device_id: str, since_seq: int, limit: int = CHANGES_PER_SYNC
) -> list[ApplicationChange]:
    """This device's applications whose status changed after ``since_seq``, oldest change first.

    ``change_seq`` is a server sequence bumped on every status change, so a kit that resumes from the
    last one it applied misses nothing and, paging by ``limit``, never receives more than it asks.
    """
    rows = session.execute(
        select(Application.id, Application.status, Application.status_reason, Application.change_seq)
        .where(Application.device_id == device_id, Application.change_seq > since_seq)
        .order_by(Application.change_seq)
        .limit(limit)
    ).all()
    return [ApplicationChange(row[0], row[1].value, row[2], row[3]) for row in rows]


def person_statuses(*, session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's latest application status (by capture time), whichever kit captured it."""
    ids = sorted(set(person_ids))
    latest: dict[int, str] = {}
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit is 999 on old builds
        rows = session.execute(
            select(Application.person_id, Application.status)
            .where(Application.person_id.in_(ids[start : start + 900]))
            .order_by(Application.captured_at)
        ).all()
        latest.update({row[0]: row[1].value for row in rows if row[0] is not None})
    return latest


def village_enrollment_changes(
    *, session: Session, village_ids: Iterable[int], since_seq: int, limit: int = CHANGES_PER_SYNC
) -> list[tuple[int, str, int]]:
    """(person id, status, change_seq) of applications in these villages changed after ``since_seq``.

    Whichever kit captured them: a kit's "who still needs what" must know that a neighbour was
    enrolled by another team, or at the commune office.
    """
    villages = sorted(set(village_ids))
    if not villages:
        return []
    rows = session.execute(
        select(Application.person_id, Application.status, Application.change_seq)
        .where(
            Application.village_id.in_(villages),
            Application.change_seq > since_seq,
            Application.person_id.is_not(None),
        )
        .order_by(Application.change_seq)
        .limit(limit)
    ).all()
    return [(row[0], row[1].value, row[2]) for row in rows if row[0] is not None]


def latest_change_seq(*, session: Session) -> int:
    return session.scalar(select(func.max(Application.change_seq))) or 0
