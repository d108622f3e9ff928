"""The campaign's reads: sums over the tallies' cells, and a village's people, applications and visits.

The figures are sums over ``campaign_application_cell`` (``tally.py``, decision 0011): a commune's
cells are one primary-key range of a few thousand rows at most (villages × kits × days × statuses),
whatever the size of the country. The missing list reads one village's records directly. Other
capabilities' tables are read, never written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, case, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from civicid.accounts.models import EidAccount
from civicid.campaign.models import ApplicationCell, Visit
from civicid.enrollment.models import Application, ApplicationStatus
from civicid.registry.models import Person, Village

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
UTC_OFFSET_HOURS = 7  # The commune's days are Vietnam's (UTC+7, no daylight saving).


def local_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The calendar day in the commune of an instant stored in UTC, computed in the database."""
    if dialect == "postgresql":
        shifted = func.timezone("UTC", column) + literal_column(f"interval '{UTC_OFFSET_HOURS} hours'")
        return cast(shifted, Date)
    return func.date(column, f"+{UTC_OFFSET_HOURS} hours")


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _sum(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, ApplicationCell.n), else_=0))


def _cell_measures() -> list[ColumnElement[Any]]:
    """The figures as sums over application cells (definitions in ``figures.py``)."""
    level2 = ApplicationCell.application_type.in_(LEVEL2_TYPES)
    issued = ApplicationCell.status == ApplicationStatus.ISSUED.value
    approved = issued | ((ApplicationCell.status == ApplicationStatus.PROCESSING.value) & ApplicationCell.decided)
    failed = ApplicationCell.status.in_([s.value for s in FAILED])
    return [
        _sum(level2).label("captured"),
        _sum(level2 & ~failed).label("reached"),
        _sum(level2 & approved).label("approved"),
        _sum(level2 & issued).label("issued"),
        _sum((ApplicationCell.application_type == CHILD_CARD) & issued).label("child_cards"),
        _sum(failed).label("failed"),
    ]


def cell_days(session: Session, commune_code: str) -> Sequence[Any]:
    """(village, device, day, captured, reached, approved, issued, child_cards, failed) of the commune."""
    query = (
        select(ApplicationCell.village_id, ApplicationCell.device_id, ApplicationCell.day, *_cell_measures())
        .where(ApplicationCell.commune_code == commune_code)
        .group_by(ApplicationCell.village_id, ApplicationCell.device_id, ApplicationCell.day)
    )
    return session.execute(query).all()


def cell_totals(session: Session, commune_codes: Sequence[str], since: dt.date) -> Sequence[Any]:
    """Per village: the totals, and people reached since ``since`` (for the pace), without days."""
    level2 = ApplicationCell.application_type.in_(LEVEL2_TYPES)
    failed = ApplicationCell.status.in_([s.value for s in FAILED])
    query = (
        select(
            ApplicationCell.commune_code,
            ApplicationCell.village_id,
            *_cell_measures(),
            _sum(level2 & ~failed & (ApplicationCell.day >= since)).label("recent"),
        )
        .where(ApplicationCell.commune_code.in_(commune_codes))
        .group_by(ApplicationCell.commune_code, ApplicationCell.village_id)
    )
    return session.execute(query).all()


def activated_by_village(session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    """Level-2 accounts activated, by the holder's village."""
    query = (
        select(Person.village_id, func.count())
        .select_from(EidAccount)
        .join(Person, Person.id == EidAccount.person_id)
        .join(Village, Village.id == Person.village_id)
        .where(Village.commune_code.in_(commune_codes), EidAccount.activated_at.is_not(None), EidAccount.level == 2)
        .group_by(Person.village_id)
    )
    return {village_id: int(n) for village_id, n in session.execute(query).all()}


def villages_of(session: Session, commune_codes: Sequence[str]) -> Sequence[Village]:
    return session.scalars(
        select(Village).where(Village.commune_code.in_(commune_codes)).order_by(Village.commune_code, Village.name)
    ).all()


def village_people(session: Session, village_id: int, born_by_14: dt.date, born_after_6: dt.date) -> Sequence[Any]:
    """Residents of the village who are 14 and over or under 6: whom the campaign must reach."""
    from civicid.registry.eligibility import RESIDENT

    query = (
        select(
            Person.id,
            Person.household_id,
            Person.full_name,
            Person.id_number,
            Person.date_of_birth,
            Person.has_smartphone,
            Person.phone,
            Person.residence_status,
        )
        .where(
            Person.village_id == village_id,
            Person.residence_status.in_(RESIDENT),
            (Person.date_of_birth <= born_by_14) | (Person.date_of_birth > born_after_6),
        )
        .order_by(Person.household_id, Person.id)
    )
    return session.execute(query).all()


def village_applications(session: Session, village_id: int) -> Sequence[Any]:
    """(id number, status, reason, captured at) of every application captured in the village."""
    query = select(Application.id_number, Application.status, Application.status_reason, Application.captured_at).where(
        Application.village_id == village_id
    )
    return session.execute(query).all()


def village_visits(session: Session, village_id: int) -> Sequence[Any]:
    """(household, person, outcome, visited at) of the village's visits, oldest first."""
    query = (
        select(Visit.household_id, Visit.person_id, Visit.outcome, Visit.visited_at)
        .where(Visit.village_id == village_id)
        .order_by(Visit.visited_at)
    )
    return session.execute(query).all()
