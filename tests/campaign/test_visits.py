"""Visit reports from the kits: stored once whatever the resends, checked against the registry."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from tests.factories import SmallCommune, visit_report

from civicid.campaign.errors import InvalidVisit
from civicid.campaign.kits import record_kit_sync
from civicid.campaign.models import KitState, Visit
from civicid.campaign.visits import record_visits
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.protocol.codes import VisitOutcome
from civicid.registry.models import Person


def stored(context: Context) -> int:
    with unit_of_work(context.database.sessions) as session:
        return session.scalar(select(func.count()).select_from(Visit)) or 0


def test_a_resent_report_is_stored_once(context: Context, commune: SmallCommune) -> None:
    first = visit_report(commune.households[commune.villages[0]][0])
    with unit_of_work(context.database.sessions) as session:
        assert record_visits(session=session, clock=context.clock, reports=[first, first]) == [first.id]
    with unit_of_work(context.database.sessions) as session:
        resent = visit_report(first.household_id, VisitOutcome.DONE, id=first.id)
        again = record_visits(session=session, clock=context.clock, reports=[resent])
    assert again == []
    assert stored(context) == 1
    with unit_of_work(context.database.sessions) as session:
        assert session.get(Visit, first.id).outcome is VisitOutcome.ABSENT  # type: ignore[union-attr]


def test_the_visit_takes_its_village_from_the_household(context: Context, commune: SmallCommune) -> None:
    village = commune.villages[1]
    with unit_of_work(context.database.sessions) as session:
        (visit_id,) = record_visits(
            session=session,
            clock=context.clock,
            reports=[visit_report(commune.households[village][0], VisitOutcome.REFUSED)],
        )
        assert session.get(Visit, visit_id).village_id == village  # type: ignore[union-attr]


def test_a_person_outside_the_household_is_refused_and_nothing_is_stored(
    context: Context, commune: SmallCommune
) -> None:
    household = commune.households[commune.villages[0]][0]
    with unit_of_work(context.database.sessions) as session:
        stranger = session.scalar(select(Person.id).where(Person.household_id != household).limit(1))
    with pytest.raises(InvalidVisit), unit_of_work(context.database.sessions) as session:
        record_visits(
            session=session,
            clock=context.clock,
            reports=[visit_report(household), visit_report(household, person_id=stranger)],
        )
    assert stored(context) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"household_id": 10**7}, "household_id"),
        ({"id": "not-a-uuid"}, "id"),
        ({"visited_at": dt.datetime(2026, 11, 28, 9, 0)}, "visited_at"),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_a_malformed_report_is_refused(
    context: Context, commune: SmallCommune, changes: dict[str, object], field: str
) -> None:
    bad = visit_report(**{"household_id": commune.households[commune.villages[0]][0], **changes})  # type: ignore[arg-type]
    with pytest.raises(InvalidVisit) as caught, unit_of_work(context.database.sessions) as session:
        record_visits(session=session, clock=context.clock, reports=[bad])
    assert caught.value.extensions["field"] == field


def test_concurrent_syncs_of_the_same_reports_store_each_once(context: Context, commune: SmallCommune) -> None:
    households = commune.households[commune.villages[0]][:5]
    reports = [visit_report(h) for h in households]
    newly: list[list[str]] = []
    barrier = threading.Barrier(2)

    def sync() -> None:
        barrier.wait()
        with unit_of_work(context.database.sessions) as session:
            newly.append(record_visits(session=session, clock=context.clock, reports=reports))

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stored(context) == 5
    assert sorted(newly[0] + newly[1]) == sorted(r.id for r in reports)


def test_the_kit_sync_keeps_the_oldest_unsent_capture(context: Context) -> None:
    oldest = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    with unit_of_work(context.database.sessions) as session:
        record_kit_sync(
            session=session, clock=context.clock, device_id="kit-1", pending_captures=4, oldest_unsent_at=oldest
        )
    with unit_of_work(context.database.sessions) as session:
        state = session.get(KitState, "kit-1")
        assert state is not None
        assert (state.last_sync_at, state.pending_captures, state.oldest_unsent_at) == (context.clock.now(), 4, oldest)
        record_kit_sync(
            session=session, clock=context.clock, device_id="kit-1", pending_captures=0, oldest_unsent_at=None
        )
    with unit_of_work(context.database.sessions) as session:
        state = session.get(KitState, "kit-1")
        assert state is not None
        assert (state.pending_captures, state.oldest_unsent_at) == (0, None)
