"""Visit outcomes from the field kits, and the lists they drive: revisits and mop-up.

A kit reports each visit with an id it made itself (UUIDv7), so a report resent after a broken
sync is stored once: the primary key decides, through an idempotent insert, even when two syncs
of the same kit race (DESIGN.md decision 4 applied to visits).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.campaign import tally
from civicid.campaign.errors import InvalidVisit
from civicid.campaign.models import Visit
from civicid.core.clock import Clock
from civicid.core.database import insert_if_absent
from civicid.protocol.codes import VisitOutcome
from civicid.registry import queries as registry

NOTE_MAX_LENGTH = 500
# Outcomes that end the work at a door: nobody goes back for them.
FINAL_OUTCOMES = frozenset({VisitOutcome.DONE, VisitOutcome.MOVED, VisitOutcome.DECEASED})
# Outcomes a second visit may fix (someone home this time, a phone lent, signal on a clear day).
REVISIT_OUTCOMES = frozenset(
    {VisitOutcome.ABSENT, VisitOutcome.NO_SIGNAL, VisitOutcome.NO_SMARTPHONE, VisitOutcome.OTHER}
)


@dataclass(frozen=True)
class VisitReport:
    """One visit as the kit reports it; ``person_id`` None means the outcome is the whole household's."""

    id: str  # UUIDv7 made by the kit
    device_id: str
    operator: str
    household_id: int
    person_id: int | None
    outcome: VisitOutcome
    note: str | None
    visited_at: dt.datetime


def record_visits(*, session: Session, clock: Clock, reports: Sequence[VisitReport]) -> list[str]:
    """Store the reports not stored yet; returns the ids newly stored, in the order given.

    A report whose id is already stored is ignored, whatever it says (the first copy wins, as for
    packets). Raises :class:`InvalidVisit` for a report that names an unknown household, a person
    outside that household, a malformed id or a time without a zone; nothing is stored then.
    """
    if not reports:
        return []
    villages = _villages_of(session, {r.household_id for r in reports})
    members = _households_of(session, {r.person_id for r in reports if r.person_id is not None})
    for report in reports:
        _check(report, villages, members)
    ids = [r.id for r in reports]
    already = set(session.scalars(select(Visit.id).where(Visit.id.in_(ids))))
    now = clock.now()
    stored: list[str] = []
    counted: list[tally.StoredVisit] = []
    for report in reports:
        if report.id in already or report.id in stored:
            continue
        inserted = insert_if_absent(
            session,
            Visit,
            {
                "id": report.id,
                "device_id": report.device_id,
                "operator": report.operator,
                "household_id": report.household_id,
                "village_id": villages[report.household_id],
                "person_id": report.person_id,
                "outcome": report.outcome,
                "note": report.note,
                "visited_at": report.visited_at,
                "received_at": now,
            },
            index_elements=["id"],
        )
        # A concurrent sync may have stored it since the read above: the insert says who wrote it.
        if inserted:
            stored.append(report.id)
            counted.append(
                tally.StoredVisit(
                    villages[report.household_id], report.household_id, report.outcome.value, report.visited_at
                )
            )
    # The visit tally moves in this transaction: what is stored is counted, once.
    tally.add_visits(session=session, visits=counted)
    return stored


def _check(report: VisitReport, villages: dict[int, int], members: dict[int, int]) -> None:
    try:
        uuid.UUID(report.id)
    except ValueError:
        raise InvalidVisit("the visit id is not a UUID", field="id") from None
    if report.household_id not in villages:
        raise InvalidVisit(f"no household {report.household_id}", field="household_id")
    if report.person_id is not None and members.get(report.person_id) != report.household_id:
        raise InvalidVisit(f"person {report.person_id} is not in household {report.household_id}", field="person_id")
    if report.visited_at.tzinfo is None:
        raise InvalidVisit("visited_at needs a time zone", field="visited_at")
    if report.note is not None and len(report.note) > NOTE_MAX_LENGTH:
        raise InvalidVisit(f"the note is longer than {NOTE_MAX_LENGTH} characters", field="note")
    if not isinstance(report.outcome, VisitOutcome):
        raise InvalidVisit("unknown outcome", field="outcome")


def _villages_of(session: Session, household_ids: set[int]) -> dict[int, int]:
    return registry.household_villages(session, household_ids)


def _households_of(session: Session, person_ids: set[int]) -> dict[int, int]:
    return registry.person_households(session, person_ids)


__all__ = ["FINAL_OUTCOMES", "REVISIT_OUTCOMES", "VisitReport", "record_visits"]
