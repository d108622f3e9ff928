"""The campaign's tallies, kept incrementally so a commune page reads hundreds of rows, not the records.

Two tallies (decision 0011):

- **Applications** (``campaign_application_cell``): how many applications share a commune, village,
  kit, capture day, type and status. The enrollment pipeline is another capability's and must not
  learn about the campaign, so the tally follows it from outside: every status change bumps the
  application's ``change_seq`` from one counter whose row lock is held until commit, so when the
  counter reads *U*, every change numbered up to *U* is committed. :func:`refresh_applications`
  reads only the applications whose ``change_seq`` lies between the tally's mark and *U*, takes
  each out of the cell it was counted in (``campaign_counted_application`` remembers its status)
  and adds it to its new cell, then moves the mark to *U*. The mark's row is the refresh's lock.
  The figures call it first, so they always equal the records as of the read.
- **Visits** (``campaign_visit_cell``): visits by village, day and outcome, and the households
  visited per day, maintained by :func:`add_visits` in the transaction that stores the visits
  (the campaign owns that write, so no mark is needed).

Invariant, checked by the tests: each cell's ``n`` is the number of counted applications in it, and
each counted application's status is the one it had at the mark.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from civicid.accounts.queries import eid_accounts
from civicid.campaign.models import (
    ActivationTotal,
    ApplicationCell,
    ApplicationTotal,
    CardGap,
    CountedApplication,
    TallyMark,
    Visit,
    VisitCell,
    VisitedHousehold,
    VisitTotal,
)
from civicid.campaign.repository import as_date, local_day, rows
from civicid.core.clock import Clock
from civicid.core.database import insert_if_absent
from civicid.core.dialects import day_after, dialect_of, greatest, insert_into
from civicid.country.age import birthday_in_sql
from civicid.country.zone import TIME_ZONE
from civicid.enrollment import queries as enrollment_queries
from civicid.enrollment.queries import applications
from civicid.registry import queries as registry
from civicid.registry.codes import CardStatus
from civicid.registry.eligibility import RESIDENT
from civicid.registry.queries import id_cards, persons

APPLICATIONS = "application"  # the mark's name, and the enrollment counter's
HOUSEHOLDS = "households"  # the visit cell measure counting doors, beside the outcomes
# Changes read per round of a refresh: bounds the memory of a refresh after a long pause.
CHUNK = 20_000
MANY_VILLAGES = 500  # above this, villages are selected by commune rather than listed
_CELL_KEY = ("commune_code", "village_id", "device_id", "day", "application_type", "status", "decided")
_TOTAL_KEY = ("commune_code", "village_id", "application_type", "status", "decided")


@dataclass(frozen=True)
class RefreshResult:
    mark: int  # the change_seq the tally now includes
    changes: int  # applications read (0 when nothing had changed)
    rebuilt: bool  # True when the tally was built from every application (its first refresh)


def _upsert(session: Session, table: Any) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET n = n + excluded.n`` for a cell table."""
    statement = insert_into(table, dialect_of(session))
    key = [c.name for c in table.__table__.primary_key]
    return statement.on_conflict_do_update(index_elements=key, set_={"n": table.n + statement.excluded.n})


def _counter(session: Session) -> int:
    return enrollment_queries.last_change(session, APPLICATIONS)


def refresh_applications(*, session: Session, clock: Clock) -> RefreshResult:
    """Bring the application tally up to the last committed change; in the caller's transaction.

    Nothing is written when nothing changed (the usual page view in the evening). Otherwise the
    mark's row is locked first, so a concurrent refresh waits and then finds the work done.
    """
    # One statement, one round trip, for the usual case: nothing changed since the last view.
    counter, mark = session.execute(
        select(
            enrollment_queries.changes_counter(APPLICATIONS),
            select(TallyMark.seq).where(TallyMark.name == APPLICATIONS).scalar_subquery(),
        )
    ).one()
    if mark is not None and mark >= int(counter or 0):
        return RefreshResult(mark=int(mark), changes=0, rebuilt=False)
    if mark is None:
        insert_if_absent(session, TallyMark, {"name": APPLICATIONS, "seq": -1})
    locked = session.execute(
        update(TallyMark)
        .where(TallyMark.name == APPLICATIONS)
        .values(refreshed_at=clock.now())
        .returning(TallyMark.seq)
    ).scalar_one()
    mark = int(locked)
    upto = _counter(session)  # read again under the lock: it may have moved while we waited
    if mark >= upto:
        return RefreshResult(mark=mark, changes=0, rebuilt=False)
    if mark < 0:
        changes = _build(session, upto)
    else:
        changes = 0
        low = mark
        while low < upto:
            high = min(low + CHUNK, upto)
            changes += _apply_changes(session, low, high)
            low = high
    session.execute(update(TallyMark).where(TallyMark.name == APPLICATIONS).values(seq=upto))
    return RefreshResult(mark=upto, changes=changes, rebuilt=mark < 0)


def rebuild_applications(*, session: Session, clock: Clock) -> RefreshResult:
    """Forget the application tally and count every application again (a repair, or a bulk load)."""
    insert_if_absent(session, TallyMark, {"name": APPLICATIONS, "seq": -1})
    session.execute(update(TallyMark).where(TallyMark.name == APPLICATIONS).values(seq=-1, refreshed_at=clock.now()))
    return refresh_applications(session=session, clock=clock)


def _build(session: Session, upto: int) -> int:
    """Count every application numbered up to ``upto``, set-based (the first refresh, or a rebuild).

    The counted statuses are written first, in one statement (one snapshot), and the cells are then
    summed from them: cells and counted statuses agree even if statuses change meanwhile; such
    changes carry numbers above ``upto`` and are applied by the next refresh.
    """
    session.execute(delete(ApplicationCell))
    session.execute(delete(ApplicationTotal))
    session.execute(delete(CountedApplication))
    counted = select(applications.c.id, applications.c.status, applications.c.decided_at.is_not(None)).where(
        applications.c.change_seq <= upto
    )
    session.execute(insert(CountedApplication).from_select(["application_id", "status", "decided"], counted))
    day = local_day(applications.c.captured_at, session.get_bind().dialect.name)
    cells = (
        select(
            applications.c.commune_code,
            applications.c.village_id,
            applications.c.device_id,
            day,
            applications.c.application_type,
            CountedApplication.status,
            CountedApplication.decided,
            func.count(),
        )
        .join(applications, applications.c.id == CountedApplication.application_id)
        .group_by(
            applications.c.commune_code,
            applications.c.village_id,
            applications.c.device_id,
            day,
            applications.c.application_type,
            CountedApplication.status,
            CountedApplication.decided,
        )
    )
    session.execute(insert(ApplicationCell).from_select([*_CELL_KEY, "n"], cells))
    total_key = [getattr(ApplicationCell, name) for name in _TOTAL_KEY]
    totals = select(*total_key, func.sum(ApplicationCell.n)).group_by(*total_key)
    session.execute(insert(ApplicationTotal).from_select([*_TOTAL_KEY, "n"], totals))
    return int(session.scalar(select(func.count()).select_from(CountedApplication)) or 0)


def _apply_changes(session: Session, low: int, high: int) -> int:
    """Move the applications numbered in (``low``, ``high``] from their counted cell to their new one.

    One SELECT reads the changed applications beside their counted status (one snapshot): an
    application changed again after it gets a number above ``high``, so a later round sees it.
    """
    day = local_day(applications.c.captured_at, session.get_bind().dialect.name).label("day")
    rows = session.execute(
        select(
            applications.c.id,
            applications.c.commune_code,
            applications.c.village_id,
            applications.c.device_id,
            day,
            applications.c.application_type,
            applications.c.status,
            applications.c.decided_at.is_not(None).label("decided"),
            CountedApplication.status.label("old_status"),
            CountedApplication.decided.label("old_decided"),
        )
        .outerjoin(CountedApplication, CountedApplication.application_id == applications.c.id)
        .where(applications.c.change_seq > low, applications.c.change_seq <= high)
    ).all()
    delta: Counter[tuple[Any, ...]] = Counter()
    counted: list[dict[str, Any]] = []
    for row in rows:
        place = (row.commune_code, row.village_id, row.device_id, as_date(row.day), row.application_type)
        status, decided = str(row.status.value if hasattr(row.status, "value") else row.status), bool(row.decided)
        if row.old_status is not None:
            if (row.old_status, bool(row.old_decided)) == (status, decided):
                continue
            delta[(*place, row.old_status, bool(row.old_decided))] -= 1
        delta[(*place, status, decided)] += 1
        counted.append({"application_id": row.id, "status": status, "decided": decided})
    cells = [dict(zip((*_CELL_KEY, "n"), (*key, n), strict=True)) for key, n in delta.items() if n]
    if cells:
        session.execute(_upsert(session, ApplicationCell), cells)
        # The village totals move by the same deltas, summed over kits and days.
        by_total: Counter[tuple[Any, ...]] = Counter()
        for (commune, village, _kit, _day, kind, status, decided), n in delta.items():
            by_total[(commune, village, kind, status, decided)] += n
        totals = [dict(zip((*_TOTAL_KEY, "n"), (*key, n), strict=True)) for key, n in by_total.items() if n]
        if totals:
            session.execute(_upsert(session, ApplicationTotal), totals)
    if counted:
        statement = insert_into(CountedApplication, dialect_of(session))
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["application_id"],
                set_={"status": statement.excluded.status, "decided": statement.excluded.decided},
            ),
            counted,
        )
    return len(rows)


# Visits ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredVisit:
    village_id: int
    household_id: int
    outcome: str
    visited_at: dt.datetime


def add_visits(*, session: Session, visits: Iterable[StoredVisit]) -> None:
    """Count newly stored visits: one per outcome and day, and each household once per day.

    Called by ``record_visits`` with the visits its idempotent insert actually stored, in the same
    transaction: a resent report stores nothing and counts nothing. The household marker's primary
    key decides, under concurrency too, which visit counts the door.
    """
    delta: Counter[tuple[int, dt.date, str]] = Counter()
    for visit in visits:
        day = visit.visited_at.astimezone(TIME_ZONE).date()
        delta[(visit.village_id, day, visit.outcome)] += 1
        first = insert_if_absent(
            session,
            VisitedHousehold,
            {"village_id": visit.village_id, "day": day, "household_id": visit.household_id},
        )
        if first:
            delta[(visit.village_id, day, HOUSEHOLDS)] += 1
    if delta:
        rows = [{"village_id": v, "day": d, "measure": m, "n": n} for (v, d, m), n in sorted(delta.items())]
        session.execute(_upsert(session, VisitCell), rows)
        totals: Counter[tuple[int, str]] = Counter()
        for (village_id, _day, measure), n in delta.items():
            if measure != HOUSEHOLDS:
                totals[(village_id, measure)] += n
        rows = [{"village_id": v, "outcome": o, "n": n} for (v, o), n in sorted(totals.items())]
        session.execute(_upsert(session, VisitTotal), rows)


def rebuild_visits(*, session: Session) -> None:
    """Count every stored visit again, set-based (a repair, or visits loaded in bulk)."""
    session.execute(delete(VisitCell))
    session.execute(delete(VisitTotal))
    session.execute(delete(VisitedHousehold))
    day = local_day(Visit.visited_at, session.get_bind().dialect.name)
    session.execute(
        insert(VisitedHousehold).from_select(
            ["village_id", "day", "household_id"],
            select(Visit.village_id, day, Visit.household_id).distinct(),
        )
    )
    session.execute(
        insert(VisitCell).from_select(
            ["village_id", "day", "measure", "n"],
            select(Visit.village_id, day, Visit.outcome, func.count()).group_by(Visit.village_id, day, Visit.outcome),
        )
    )
    session.execute(
        insert(VisitCell).from_select(
            ["village_id", "day", "measure", "n"],
            select(VisitedHousehold.village_id, VisitedHousehold.day, literal(HOUSEHOLDS), func.count()).group_by(
                VisitedHousehold.village_id, VisitedHousehold.day
            ),
        )
    )
    session.execute(
        insert(VisitTotal).from_select(
            ["village_id", "outcome", "n"],
            select(VisitCell.village_id, VisitCell.measure, func.sum(VisitCell.n))
            .where(VisitCell.measure != HOUSEHOLDS)
            .group_by(VisitCell.village_id, VisitCell.measure),
        )
    )


def rebuild_activations(*, session: Session) -> None:
    """Count every activated level-2 account again by its holder's village (a repair).

    The triggers of migration 0006 keep this tally at every commit (decision 0016); a rebuild is
    for a database where they were disabled, such as a bulk load with triggers off.
    """
    session.execute(delete(ActivationTotal))
    session.execute(
        insert(ActivationTotal).from_select(
            ["village_id", "n"],
            select(persons.c.village_id, func.count())
            .join(eid_accounts, eid_accounts.c.person_id == persons.c.id)
            .where(eid_accounts.c.activated_at.is_not(None), eid_accounts.c.level == 2)
            .group_by(persons.c.village_id),
        )
    )


def rebuild_card_gaps(*, session: Session) -> None:
    """Work out again, for every resident, the first day they are 14 or over without a valid card.

    The triggers of migration 0006 keep ``campaign_card_gap`` at every commit (decision 0016); this
    is the repair, and the set-based build after a load with the triggers off. The 14th birthday is
    the country profile's (``country.age.birthday_in_sql``).
    """
    dialect = dialect_of(session)
    birthday = birthday_in_sql(persons.c.date_of_birth, 14, dialect)
    valid = (id_cards.c.person_id == persons.c.id) & (id_cards.c.status == CardStatus.VALID)
    last_expiry = select(func.max(id_cards.c.expiry_date)).where(valid).scalar_subquery()
    after = day_after(last_expiry, dialect)
    never_expires = select(id_cards.c.id).where(valid, id_cards.c.expiry_date.is_(None)).exists()
    session.execute(delete(CardGap))
    session.execute(
        insert(CardGap).from_select(
            ["person_id", "village_id", "blocked_from"],
            select(
                persons.c.id, persons.c.village_id, greatest(birthday, func.coalesce(after, birthday), dialect=dialect)
            ).where(persons.c.residence_status.in_(RESIDENT), ~never_expires),
        )
    )


def visit_outcomes(
    session: Session, commune_codes: Sequence[str], village_ids: Sequence[int]
) -> list[tuple[int, str, int]]:
    """(village, outcome, visits) over every day, for the communes' villages ``village_ids``.

    Read from the per-village totals, a few rows a village. A commune's few dozen ids go in an
    ``IN`` list (primary-key ranges); a province's thousands through a subquery of the communes'
    villages, which the planner answers with one scan.
    """
    villages: Any = list(village_ids) if len(village_ids) <= MANY_VILLAGES else registry.village_ids_in(commune_codes)
    found = rows(
        session,
        select(VisitTotal.village_id, VisitTotal.outcome, VisitTotal.n).where(VisitTotal.village_id.in_(villages)),
    )
    return [(int(v), str(m), int(n)) for v, m, n in found if n]


def households_by_day(session: Session, village_ids: Sequence[int]) -> dict[tuple[int, dt.date], int]:
    """(village, day) -> households visited that day (typed columns: the database's dates as dates)."""
    found = rows(
        session,
        select(VisitCell.village_id, VisitCell.day, VisitCell.n).where(
            VisitCell.village_id.in_(village_ids), VisitCell.measure == HOUSEHOLDS
        ),
    )
    return {(v, d): n for v, d, n in found}


__all__ = [
    "HOUSEHOLDS",
    "RefreshResult",
    "StoredVisit",
    "add_visits",
    "households_by_day",
    "rebuild_activations",
    "rebuild_applications",
    "rebuild_card_gaps",
    "rebuild_visits",
    "refresh_applications",
    "visit_outcomes",
]
