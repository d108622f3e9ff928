"""Who is still missing in a village, and why; the revisit and mop-up lists that follow.

Reading this list reads people's names, so each call is audited (DESIGN.md decision 13) with the
village and the number of people listed, never the names themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.campaign import repository
from civicid.campaign.models import Assignment
from civicid.campaign.visits import REVISIT_OUTCOMES
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.country.age import latest_birth_date
from civicid.protocol.codes import ApplicationStatus, VisitOutcome
from civicid.registry.codes import ResidenceStatus


class Reason(StrEnum):
    """Why someone is not enrolled yet, most telling first."""

    NEEDS_CORRECTION = "needs_correction"  # captured, sent back to the operator
    REJECTED = "rejected"  # captured and refused (duplicate, integrity, supervisor)
    REFUSED = "refused"
    ABSENT = "absent"
    NO_SMARTPHONE = "no_smartphone"
    NO_SIGNAL = "no_signal"
    MOVED = "moved"
    DECEASED = "deceased"
    OTHER = "other"
    WORKING_AWAY = "working_away"  # the registry says so; nobody visited yet
    NOT_VISITED = "not_visited"


@dataclass(frozen=True)
class MissingPerson:
    person_id: int
    household_id: int
    full_name: str
    age_group: str  # "14_plus" or "under_6"
    reason: Reason
    last_visit_at: dt.datetime | None
    has_smartphone: bool
    revisit: bool  # a second visit may fix it
    mop_up: bool  # the village's assignments are over: the mop-up team goes


def missing_people(
    *, session: Session, clock: Clock, actor: Actor, village_id: int, limit: int = 2000
) -> list[MissingPerson]:
    """Residents of 14 and over (level 2) and under 6 (card) of the village not reached yet, with why."""
    today = clock.today()
    born_14, born_6 = latest_birth_date(today, 14), latest_birth_date(today, 6)
    applications: dict[str, list[ApplicationStatus]] = {}
    for id_number, status, _why, _at in repository.village_applications(session, village_id):
        applications.setdefault(id_number, []).append(ApplicationStatus(status))
    person_visit: dict[int, tuple[VisitOutcome, dt.datetime]] = {}
    household_visit: dict[int, tuple[VisitOutcome, dt.datetime]] = {}
    for household_id, person_id, outcome, at in repository.village_visits(session, village_id):
        if person_id is None:
            household_visit[household_id] = (VisitOutcome(outcome), at)
        else:
            person_visit[person_id] = (VisitOutcome(outcome), at)
    over = _assignments_over(session, village_id, today)
    missing = []
    for row in repository.village_people(session, village_id, born_14, born_6):
        statuses = applications.get(row.id_number, [])
        if any(s not in repository.FAILED for s in statuses):
            continue
        visit = person_visit.get(row.id) or household_visit.get(row.household_id)
        reason = _reason(statuses, visit, ResidenceStatus(row.residence_status))
        missing.append(
            MissingPerson(
                person_id=row.id,
                household_id=row.household_id,
                full_name=row.full_name,
                age_group="14_plus" if row.date_of_birth <= born_14 else "under_6",
                reason=reason,
                last_visit_at=visit[1] if visit else None,
                has_smartphone=bool(row.has_smartphone),
                revisit=visit is not None and visit[0] in REVISIT_OUTCOMES,
                mop_up=over,
            )
        )
        if len(missing) >= limit:
            break
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="campaign.missing_list",
        subject_type="village",
        subject_id=str(village_id),
        details={"listed": len(missing)},
    )
    return missing


def reason_counts(people: list[MissingPerson]) -> dict[str, int]:
    counts = {reason.value: 0 for reason in Reason}
    for p in people:
        counts[p.reason.value] += 1
    return counts


def _reason(
    statuses: list[ApplicationStatus], visit: tuple[VisitOutcome, dt.datetime] | None, residence: ResidenceStatus
) -> Reason:
    if ApplicationStatus.NEEDS_CORRECTION in statuses:
        return Reason.NEEDS_CORRECTION
    if statuses:
        return Reason.REJECTED
    if visit is not None and visit[0] is not VisitOutcome.DONE:
        return Reason(visit[0].value)
    if residence is ResidenceStatus.WORKING_AWAY:
        return Reason.WORKING_AWAY
    return Reason.NOT_VISITED


def _assignments_over(session: Session, village_id: int, today: dt.date) -> bool:
    """True when the village had assignments and none runs today or later: time for mop-up."""
    ends = session.scalars(
        select(Assignment.end_date).where(Assignment.village_id == village_id, Assignment.withdrawn_at.is_(None))
    ).all()
    return bool(ends) and max(ends) < today
