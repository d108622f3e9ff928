"""What the operator sees: households of the assigned villages, and who in each still needs what.

"Needs" follow the age rules (DOMAIN.md): 14 and over must reach level 2; 6 to under 14 may, with a
guardian present; under 6 receive an ID card through a parent, with no biometrics. A person is
"done" when the server issued their application or this kit holds one on its way; their latest
visit outcome (absent, refused, no smartphone…) tells the next team why they are still missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.core.ids import uuid7
from civicid.country.age import AgeGroup, age_group
from civicid.field.errors import InvalidCapture, NotOnThisKit
from civicid.field.models import KitHousehold, KitPerson, KitVillage, KitVisit, OutboxItem, OutboxState
from civicid.protocol.codes import ApplicationStatus, VisitOutcome
from civicid.protocol.packet import ApplicationType

_IN_HAND = (OutboxState.CAPTURED, OutboxState.APPROVED_ON_DEVICE, OutboxState.UPLOADING, OutboxState.UPLOADED)
_SERVER_DONE = (ApplicationStatus.ISSUED,)
_SERVER_PENDING = (
    ApplicationStatus.RECEIVING,
    ApplicationStatus.PROCESSING,
    ApplicationStatus.SUSPECTED_DUPLICATE,
    ApplicationStatus.AWAITING_APPROVAL,
)


@dataclass(frozen=True)
class Member:
    person: KitPerson
    age_group: AgeGroup
    application_type: ApplicationType
    required: bool  # 14 and over must; 6 to under 14 and children's cards on request
    progress: str  # "issued", "pending", "captured_here", "needs_correction", "rejected", "to_do"
    message: str | None  # the server's or the supervisor's reason, for the operator
    last_visit: str | None


@dataclass(frozen=True)
class HouseholdLine:
    household: KitHousehold
    village: str
    members: int
    to_do: int
    last_visit: str | None


def villages(session: Session) -> list[KitVillage]:
    return list(session.scalars(select(KitVillage).order_by(KitVillage.name)))


def household_lines(*, session: Session, today: dt.date, village_id: int | None = None) -> list[HouseholdLine]:
    """Every household on the kit (or in one village), with how many members still need something."""
    query = select(KitHousehold).order_by(KitHousehold.village_id, KitHousehold.number)
    if village_id is not None:
        query = query.where(KitHousehold.village_id == village_id)
    households = list(session.scalars(query))
    names = {v.id: v.name for v in session.scalars(select(KitVillage))}
    people = _Facts.load(session, [h.id for h in households], today)
    lines = []
    for household in households:
        found = people.members(household.id)
        lines.append(
            HouseholdLine(
                household=household,
                village=names.get(household.village_id, str(household.village_id)),
                members=len(found),
                to_do=sum(1 for m in found if m.required and m.progress in ("to_do", "needs_correction", "rejected")),
                last_visit=people.last_visit.get((household.id, None)),
            )
        )
    return lines


def members(*, session: Session, household_id: int, today: dt.date) -> list[Member]:
    if session.get(KitHousehold, household_id) is None:
        raise NotOnThisKit(f"household {household_id} is not on this kit")
    return _Facts.load(session, [household_id], today).members(household_id)


def record_visit(
    *,
    session: Session,
    clock: Clock,
    household_id: int,
    person_id: int | None,
    outcome: VisitOutcome,
    operator: str,
    note: str | None = None,
) -> KitVisit:
    """Note a visit's outcome (absent, refused, no smartphone…); "other" needs a note saying what."""
    if session.get(KitHousehold, household_id) is None:
        raise NotOnThisKit(f"household {household_id} is not on this kit")
    person = session.get(KitPerson, person_id) if person_id is not None else None
    if person_id is not None and (person is None or person.household_id != household_id):
        raise NotOnThisKit(f"person {person_id} is not a member of household {household_id}")
    note = (note or "").strip() or None
    if outcome is VisitOutcome.OTHER and note is None:
        raise InvalidCapture("an 'other' outcome needs a note saying what happened", field="note")
    visit = KitVisit(
        id=str(uuid7(int(clock.now().timestamp() * 1000))),
        household_id=household_id,
        person_id=person_id,
        outcome=outcome.value,
        note=note,
        operator=operator,
        visited_at=clock.now(),
        synced=False,
    )
    session.add(visit)
    session.flush()
    return visit


def application_type_for(group: AgeGroup) -> ApplicationType:
    return {
        AgeGroup.FROM_14: ApplicationType.LEVEL2,
        AgeGroup.FROM_6_TO_13: ApplicationType.LEVEL2_CHILD,
        AgeGroup.UNDER_6: ApplicationType.CHILD_CARD,
    }[group]


@dataclass(frozen=True)
class _Facts:
    """What the lists need of some households, read in three queries however many people they hold.

    A village list of 80 households used to cost two queries per person (latest capture, last visit).
    """

    today: dt.date
    persons: dict[int, list[KitPerson]]  # by household, youngest last
    latest: dict[int, OutboxItem]  # each person's latest capture on this kit
    last_visit: dict[tuple[int, int | None], str]  # (household, person or None for the household)

    @classmethod
    def load(cls, session: Session, household_ids: list[int], today: dt.date) -> _Facts:
        persons: dict[int, list[KitPerson]] = {h: [] for h in household_ids}
        people = session.scalars(
            select(KitPerson).where(KitPerson.household_id.in_(household_ids)).order_by(KitPerson.date_of_birth)
        )
        for person in people:
            persons[person.household_id].append(person)
        latest: dict[int, OutboxItem] = {}
        items = session.scalars(
            select(OutboxItem).where(OutboxItem.household_id.in_(household_ids)).order_by(OutboxItem.captured_at)
        )
        for item in items:
            if item.person_id is not None:
                latest[item.person_id] = item  # in capture order: the last one stays
        last_visit: dict[tuple[int, int | None], str] = {}
        visits = session.execute(
            select(KitVisit.household_id, KitVisit.person_id, KitVisit.outcome)
            .where(KitVisit.household_id.in_(household_ids))
            .order_by(KitVisit.visited_at)
        )
        for household, member, outcome in visits:
            last_visit[(household, None)] = outcome  # any visit of the household, a member's included
            if member is not None:
                last_visit[(household, member)] = outcome
        return cls(today, persons, latest, last_visit)

    def members(self, household_id: int) -> list[Member]:
        return [self._member(person) for person in self.persons.get(household_id, [])]

    def _member(self, person: KitPerson) -> Member:
        group = age_group(person.date_of_birth, self.today)
        progress, message = _progress(person, self.latest.get(person.id))
        return Member(
            person=person,
            age_group=group,
            application_type=application_type_for(group),
            required=group is AgeGroup.FROM_14,
            progress=progress,
            message=message,
            last_visit=self.last_visit.get((person.household_id, person.id)),
        )


def _progress(person: KitPerson, latest: OutboxItem | None) -> tuple[str, str | None]:
    if person.enrollment_status in _SERVER_DONE or (latest is not None and latest.state is OutboxState.ACCEPTED):
        return "issued", None
    if latest is not None and latest.state in _IN_HAND:
        return "captured_here", None
    if latest is not None and latest.state is OutboxState.NEEDS_CORRECTION:
        return "needs_correction", latest.server_message
    if latest is not None and latest.state is OutboxState.REJECTED:
        return "rejected", latest.server_message
    if person.enrollment_status in _SERVER_PENDING:
        return "pending", None
    return "to_do", None
