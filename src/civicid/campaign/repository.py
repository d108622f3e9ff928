"""The campaign's set-based counts over the enrollment, account and visit records.

Every figure is one ``GROUP BY`` over an index range (a commune's applications by capture time,
its visits by village), so a commune page reads a few thousand index entries whatever the size of
the country. These queries read other capabilities' tables read-only: joining them in SQL is what
keeps the figures exact and fast at scale (decision 0010).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Date, case, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from civicid.accounts.models import EidAccount
from civicid.campaign.models import Visit
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
    return func.sum(case((condition, 1), else_=0))


def _application_measures() -> list[ColumnElement[Any]]:
    level2 = Application.application_type.in_(LEVEL2_TYPES)
    issued = Application.status == ApplicationStatus.ISSUED
    approved = issued | ((Application.status == ApplicationStatus.PROCESSING) & Application.decided_at.is_not(None))
    return [
        _sum(level2).label("captured"),
        _sum(level2 & Application.status.not_in(FAILED)).label("reached"),
        _sum(level2 & approved).label("approved"),
        _sum(level2 & issued).label("issued"),
        _sum((Application.application_type == CHILD_CARD) & issued).label("child_cards"),
        _sum(Application.status.in_(FAILED)).label("failed"),
    ]


def application_cells(session: Session, commune_codes: Sequence[str]) -> Sequence[Any]:
    """(commune, village, capture day, captured, reached, approved, issued, child_cards, failed) rows."""
    day = local_day(Application.captured_at, session.get_bind().dialect.name).label("day")
    query = (
        select(Application.commune_code, Application.village_id, day, *_application_measures())
        .where(Application.commune_code.in_(commune_codes))
        .group_by(Application.commune_code, Application.village_id, day)
    )
    return session.execute(query).all()


def application_totals(session: Session, commune_codes: Sequence[str], since: dt.datetime) -> Sequence[Any]:
    """Per village: the totals, and the captures since ``since`` (for the pace), without days."""
    recent = Application.captured_at >= since
    query = (
        select(
            Application.commune_code,
            Application.village_id,
            *_application_measures(),
            _sum(recent & Application.application_type.in_(LEVEL2_TYPES) & Application.status.not_in(FAILED)).label(
                "recent"
            ),
        )
        .where(Application.commune_code.in_(commune_codes))
        .group_by(Application.commune_code, Application.village_id)
    )
    return session.execute(query).all()


def device_cells(session: Session, commune_code: str) -> Sequence[Any]:
    """(device, capture day, captured, reached, issued) for the commune's kits."""
    day = local_day(Application.captured_at, session.get_bind().dialect.name).label("day")
    m = _application_measures()
    query = (
        select(Application.device_id, day, m[0], m[1], m[3])
        .where(Application.commune_code == commune_code)
        .group_by(Application.device_id, day)
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


def visit_counts(session: Session, village_ids: Sequence[int]) -> Sequence[Any]:
    """(village, outcome, visits) for the villages."""
    query = (
        select(Visit.village_id, Visit.outcome, func.count())
        .where(Visit.village_id.in_(village_ids))
        .group_by(Visit.village_id, Visit.outcome)
    )
    return session.execute(query).all()


def visit_cells(session: Session, village_ids: Sequence[int]) -> Sequence[Any]:
    """(village, visit day, households visited) for the villages."""
    day = local_day(Visit.visited_at, session.get_bind().dialect.name).label("day")
    query = (
        select(Visit.village_id, day, func.count(func.distinct(Visit.household_id)))
        .where(Visit.village_id.in_(village_ids))
        .group_by(Visit.village_id, day)
    )
    return session.execute(query).all()


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
