"""The campaign's reads: sums over the tallies' cells, and a village's people, applications and visits.

The figures are sums over ``campaign_application_cell`` (``tally.py``, decision 0011): a commune's
cells are one primary-key range of a few thousand rows at most (villages × kits × days × statuses),
whatever the size of the country. The missing list reads one village's records directly. Other
capabilities' tables are read, never written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import Row, Select, case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from civicid.campaign.models import ActivationTotal, ApplicationCell, ApplicationTotal, CardGap, Visit
from civicid.core.dialects import local_date
from civicid.country.zone import UTC_OFFSET
from civicid.enrollment import queries as enrollment_queries
from civicid.protocol.codes import ApplicationStatus
from civicid.registry import queries as registry

LEVEL2_TYPES = ("level2", "level2_child")
CHILD_CARD = "child_card"
# Applications that reached nobody: the person still has to be enrolled.
FAILED = (
    ApplicationStatus.NEEDS_CORRECTION,
    ApplicationStatus.INELIGIBLE,
    ApplicationStatus.REJECTED_INTEGRITY,
    ApplicationStatus.REJECTED_DUPLICATE,
    ApplicationStatus.REJECTED,
)
_Ts = TypeVarTuple("_Ts")


def local_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The calendar day in the commune of an instant stored in UTC, computed in the database."""
    return local_date(column, UTC_OFFSET, dialect)


def rows(session: Session, query: Select[*_Ts]) -> Sequence[Row[*_Ts]]:
    """Run a read on the session's connection: plain rows, without the ORM's per-row loading.

    A commune page reads thousands of cells; the ORM's result machinery cost more than the SQL.
    """
    return session.connection().execute(query).all()


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


Counted = type[ApplicationCell] | type[ApplicationTotal]


def _measures(table: Counted) -> list[ColumnElement[Any]]:
    """The figures as sums over application cells or village totals (definitions in ``figures.py``)."""

    def total(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, table.n), else_=0))

    level2 = _level2(table)
    issued = table.status == ApplicationStatus.ISSUED.value
    approved = issued | ((table.status == ApplicationStatus.PROCESSING.value) & table.decided)
    failed = _failed(table)
    return [
        total(level2).label("captured"),
        total(level2 & ~failed).label("reached"),
        total(level2 & approved).label("approved"),
        total(level2 & issued).label("issued"),
        total((table.application_type == CHILD_CARD) & issued).label("child_cards"),
        total(failed).label("failed"),
    ]


def _level2(table: Counted) -> ColumnElement[bool]:
    return table.application_type.in_(LEVEL2_TYPES)


def _failed(table: Counted) -> ColumnElement[bool]:
    return table.status.in_([s.value for s in FAILED])


def cell_days(session: Session, commune_code: str) -> Sequence[Row[int, str, dt.date, Any, Any, Any]]:
    """(village, device, day, captured, reached, issued) of the commune: what the days' charts and teams need."""
    captured, reached, _approved, issued, *_ = _measures(ApplicationCell)
    query = (
        select(ApplicationCell.village_id, ApplicationCell.device_id, ApplicationCell.day, captured, reached, issued)
        .where(ApplicationCell.commune_code == commune_code)
        .group_by(ApplicationCell.village_id, ApplicationCell.device_id, ApplicationCell.day)
    )
    return rows(session, query)


def village_totals(session: Session, commune_codes: Sequence[str]) -> Sequence[Any]:
    """Per village: captured, reached, approved, issued, child_cards, failed, over every day.

    Reads the per-village totals (a few rows a village, one primary-key range a commune), not the
    per-day cells: a province's report sums tens of thousands of rows instead of hundreds of thousands.
    """
    query = (
        select(ApplicationTotal.village_id, *_measures(ApplicationTotal))
        .where(ApplicationTotal.commune_code.in_(commune_codes))
        .group_by(ApplicationTotal.village_id)
    )
    return rows(session, query)


def reached_since(session: Session, commune_codes: Sequence[str], since: dt.date) -> dict[int, int]:
    """Village -> people reached on the days from ``since`` (the pace's window), from the cells."""
    query = (
        select(ApplicationCell.village_id, func.sum(ApplicationCell.n))
        .where(
            ApplicationCell.commune_code.in_(commune_codes),
            ApplicationCell.day >= since,
            _level2(ApplicationCell),
            ~_failed(ApplicationCell),
        )
        .group_by(ApplicationCell.village_id)
    )
    return {int(village_id): int(n or 0) for village_id, n in rows(session, query)}


def activated_by_village(session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    """Level-2 accounts activated, by the holder's village: the triggers' tally (decision 0016)."""
    villages = registry.village_ids_in(commune_codes)
    query = select(ActivationTotal.village_id, ActivationTotal.n).where(ActivationTotal.village_id.in_(villages))
    return {int(village_id): int(n) for village_id, n in rows(session, query) if n}


def no_card_by_village(session: Session, commune_codes: Sequence[str], today: dt.date) -> dict[int, int]:
    """Residents of 14 and over without a valid ID card on ``today``, by village (decision 0016).

    Reads ``campaign_card_gap``'s index range ``blocked_from <= today`` of each village: only the
    people blocked, not the village's residents or their cards.
    """
    villages = registry.village_ids_in(commune_codes)
    query = (
        select(CardGap.village_id, func.count())
        .where(CardGap.village_id.in_(villages), CardGap.blocked_from <= today)
        .group_by(CardGap.village_id)
    )
    return {int(village_id): int(n) for village_id, n in rows(session, query)}


def villages_of(session: Session, commune_codes: Sequence[str]) -> Sequence[Any]:
    """(id, name, commune_code, distance_km, signal, latitude, longitude) of the communes' villages.

    Plain rows, not ORM objects: the province report reads thousands and changes none.
    """
    return registry.village_rows(session, commune_codes)


def village_people(session: Session, village_id: int, born_by_14: dt.date, born_after_6: dt.date) -> Sequence[Any]:
    """Residents of the village who are 14 and over or under 6: whom the campaign must reach."""
    return registry.village_people(session, village_id, born_by_14, born_after_6)


def village_applications(session: Session, village_id: int) -> Sequence[Any]:
    """(id number, status, reason, captured at) of every application captured in the village."""
    return enrollment_queries.village_applications(session, village_id)


def village_visits(session: Session, village_id: int) -> Sequence[Any]:
    """(household, person, outcome, visited at) of the village's visits, oldest first."""
    query = (
        select(Visit.household_id, Visit.person_id, Visit.outcome, Visit.visited_at)
        .where(Visit.village_id == village_id)
        .order_by(Visit.visited_at)
    )
    return session.execute(query).all()


def child_card_requests_by_village(session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    """Under-6 card applications received, whatever their state (issue 19: requested, beside ``child_cards`` issued)."""
    villages = registry.village_ids_in(commune_codes)
    applications = enrollment_queries.applications.c
    query = (
        select(applications.village_id, func.count())
        .where(applications.village_id.in_(villages), applications.application_type == "child_card")
        .group_by(applications.village_id)
    )
    return {int(village_id): int(n) for village_id, n in rows(session, query)}
