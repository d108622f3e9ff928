"""Reading applications for staff: the queues a supervisor works through."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.enrollment.models import FINAL_STATUSES, Application
from civicid.protocol.codes import ApplicationStatus


def list_applications(
    *, session: Session, commune_code: str | None, status: ApplicationStatus | None, limit: int
) -> list[Application]:
    """Applications of a commune (or all); a decision queue oldest first, anything else newest first."""
    query = select(Application)
    if commune_code is not None:
        query = query.where(Application.commune_code == commune_code)
    if status is not None:
        query = query.where(Application.status == status)
    if status is None or status in FINAL_STATUSES:
        query = query.order_by(Application.captured_at.desc(), Application.id.desc())
    else:
        query = query.order_by(Application.captured_at, Application.id)
    return list(session.scalars(query.limit(limit)).all())
