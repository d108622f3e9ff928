"""The enrollment pipeline's reads for other capabilities: named, set-based, without its models.

Other folders never import ``enrollment.models`` (an import-linter contract, decision 0035). The
campaign follows the pipeline from outside (decision 0011): its tally reads the applications whose
change number moved since its mark, and its missing list reads one village's applications. Both
are here:

- :func:`changes_counter` and :func:`last_change` give the pipeline's change counter, which numbers
  every status change (``timeline.py`` holds its row lock until commit);
- :data:`applications` is a read-only view of the ``application`` table naming only the columns the
  campaign's tally groups and filters by: its refresh (``campaign.tally``) joins it with its own
  ``campaign_counted_application`` in one statement, set-based, which a function returning rows
  could not do as fast. A statement built on it is the very SQL the table gives (same table name,
  no subquery), so the same indexes serve it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import Session

from civicid.core.database import read_only_projection
from civicid.enrollment.models import Application, ChangeCounter
from civicid.protocol.codes import ApplicationStatus

#: The counter that numbers applications' status changes (``timeline.py`` bumps it).
APPLICATION_CHANGES = "application"


#: Applications: ``campaign.tally`` counts them by commune, village, kit, capture day, type and
#: status (``_build``: one INSERT … SELECT; ``_apply_changes``: the rows whose ``change_seq`` lies in
#: a range, by its index).
applications = read_only_projection(
    Application,
    "id",
    "commune_code",
    "village_id",
    "device_id",
    "captured_at",
    "application_type",
    "status",
    "decided_at",
    "change_seq",
)


def changes_counter(name: str = APPLICATION_CHANGES) -> ScalarSelect[Any]:
    """The counter's value as a scalar subquery, to read in one statement beside the reader's own mark."""
    return select(ChangeCounter.value).where(ChangeCounter.name == name).scalar_subquery()


def last_change(session: Session, name: str = APPLICATION_CHANGES) -> int:
    """The number of the last status change given out (0 before the first): every change up to it
    is committed once the counter's row lock is released."""
    value = session.scalar(select(ChangeCounter.value).where(ChangeCounter.name == name))
    return int(value or 0)


def village_applications(session: Session, village_id: int) -> Sequence[Any]:
    """(id number, status, reason, captured at) of every application captured in the village.

    The campaign's missing list reads them for one village (index ``ix_application_village``).
    """
    query = select(Application.id_number, Application.status, Application.status_reason, Application.captured_at).where(
        Application.village_id == village_id
    )
    return session.execute(query).all()


def awaiting_approval(session: Session, commune_code: str, *, captured_by: dt.datetime | None = None) -> list[str]:
    """Ids of the commune's applications awaiting a supervisor's approval (captured by then, if given).

    The simulator's supervisor approves them at the end of a day (``sim/enrollment.py``), as the
    intake benchmark does (index ``ix_application_commune``): only those captured by that evening,
    so that no application is decided before it is captured.
    """
    query = select(Application.id).where(
        Application.commune_code == commune_code, Application.status == ApplicationStatus.AWAITING_APPROVAL
    )
    if captured_by is not None:
        query = query.where(Application.captured_at <= captured_by)
    return list(session.scalars(query))


def application_status(session: Session, application_id: str) -> ApplicationStatus | None:
    """The application's status, or ``None`` for an unknown application (the demo's child card)."""
    return session.scalar(select(Application.status).where(Application.id == application_id))


def issued_in_commune(session: Session, commune_code: str) -> int:
    """How many of the commune's applications are issued (the home page's figure)."""
    query = select(func.count()).where(
        Application.commune_code == commune_code, Application.status == ApplicationStatus.ISSUED
    )
    return int(session.scalar(query) or 0)


def latest_statuses(session: Session, id_numbers: Sequence[str]) -> dict[str, ApplicationStatus]:
    """ID number -> the status of the last application captured for it (one query, index on the number).

    A search's results show it beside each person (``enrollment.person_status``).
    """
    if not id_numbers:
        return {}
    query = (
        select(Application.id_number, Application.status)
        .where(Application.id_number.in_(set(id_numbers)))
        .order_by(Application.captured_at, Application.id)
    )
    return {number: status for number, status in session.execute(query)}  # the last captured wins


__all__ = [
    "APPLICATION_CHANGES",
    "application_status",
    "applications",
    "awaiting_approval",
    "changes_counter",
    "issued_in_commune",
    "last_change",
    "latest_statuses",
    "village_applications",
]
