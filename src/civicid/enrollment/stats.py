"""Counts of applications by status, for ``civicid enrollment stats`` and the campaign's figures."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.enrollment.models import Application
from civicid.protocol.codes import ApplicationStatus


def enrollment_stats(*, session: Session, commune_code: str | None = None) -> dict[str, object]:
    """Every status with its count (zeros included), plus the three figures a committee asks for."""
    query = select(Application.status, func.count()).group_by(Application.status)
    if commune_code is not None:
        query = query.where(Application.commune_code == commune_code)
    counts = {status.value: 0 for status in ApplicationStatus}
    counts.update({status.value: int(n) for status, n in session.execute(query).all()})
    return {
        "applications": sum(counts.values()),
        "by_status": counts,
        "suspected_duplicates": counts[ApplicationStatus.SUSPECTED_DUPLICATE.value],
        "rejected_duplicates": counts[ApplicationStatus.REJECTED_DUPLICATE.value],
        "issued": counts[ApplicationStatus.ISSUED.value],
    }
