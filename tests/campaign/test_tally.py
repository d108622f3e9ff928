"""The tallies move incrementally and stay equal to the records: late syncs, decisions, resent visits."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from alembic import command
from sqlalchemy import func, select, text
from tests.campaign.test_figures import assert_figures_match_records, figures_of
from tests.factories import (
    COMMITTEE,
    DEADLINE,
    START,
    SmallCommune,
    checked_on_day,
    issue_waiting,
    kit_sent_to,
    registered_kit,
    village_adults,
    visit_report,
)

from civicid.campaign import service, tally
from civicid.campaign.models import (
    ApplicationCell,
    ApplicationTotal,
    Campaign,
    CountedApplication,
    TallyMark,
    VisitCell,
    VisitTotal,
)
from civicid.campaign.visits import record_visits
from civicid.core import migrate
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.models import Application
from civicid.enrollment.tasks import Pipeline
from civicid.protocol.codes import VisitOutcome


def refresh(context: Context) -> tally.RefreshResult:
    with unit_of_work(context.database.sessions) as session:
        return tally.refresh_applications(session=session, clock=context.clock)


def cells(context: Context) -> dict[tuple[object, ...], int]:
    with unit_of_work(context.database.sessions) as session:
        rows = session.scalars(select(ApplicationCell)).all()
        return {
            (c.commune_code, c.village_id, c.device_id, c.day, c.application_type, c.status, c.decided): c.n
            for c in rows
            if c.n
        }


def assert_cells_are_the_counted_applications(context: Context) -> None:
    """The invariant: each cell holds exactly the applications counted in it, each at its current status."""
    expected: Counter[tuple[object, ...]] = Counter()
    with unit_of_work(context.database.sessions) as session:
        rows = session.execute(
            select(Application, CountedApplication).join(
                CountedApplication, CountedApplication.application_id == Application.id
            )
        ).all()
        total = session.scalar(select(func.count()).select_from(Application))
    assert len(rows) == total
    for a, counted in rows:
        assert (counted.status, counted.decided) == (a.status.value, a.decided_at is not None)
        day = a.captured_at.astimezone(TIME_ZONE).date()
        expected[
            (a.commune_code, a.village_id, a.device_id, day, a.application_type, counted.status, counted.decided)
        ] += 1
    assert cells(context) == dict(expected)
    assert_totals_are_the_cells_summed(context)


def assert_totals_are_the_cells_summed(context: Context) -> None:
    """The per-village totals are the cells summed over kits and days, for applications and visits."""
    applications: Counter[tuple[object, ...]] = Counter()
    visits: Counter[tuple[object, ...]] = Counter()
    with unit_of_work(context.database.sessions) as session:
        for c in session.scalars(select(ApplicationCell)):
            applications[(c.commune_code, c.village_id, c.application_type, c.status, c.decided)] += c.n
        for v in session.scalars(select(VisitCell).where(VisitCell.measure != tally.HOUSEHOLDS)):
            visits[(v.village_id, v.measure)] += v.n
        totals = {
            (t.commune_code, t.village_id, t.application_type, t.status, t.decided): t.n
            for t in session.scalars(select(ApplicationTotal))
            if t.n
        }
        visit_totals = {(t.village_id, t.outcome): t.n for t in session.scalars(select(VisitTotal)) if t.n}
    assert totals == {k: n for k, n in applications.items() if n}
    assert visit_totals == {k: n for k, n in visits.items() if n}


def test_the_first_refresh_builds_then_later_ones_read_only_the_changes(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    village = commune.villages[0]
    kit = registered_kit(context, commune.code, "operator.a")
    checked_on_day(context, pipeline, kit, village_adults(context, village, 4), dt.date(2026, 11, 24))
    first = refresh(context)
    assert first.rebuilt
    assert first.changes == 4
    assert refresh(context).changes == 0  # nothing changed: nothing read, nothing written
    assert_cells_are_the_counted_applications(context)

    decided = issue_waiting(context, pipeline, commune.code)
    after = refresh(context)
    assert not after.rebuilt
    assert decided <= after.changes <= 2 * decided  # approval, then issuing: each a change
    assert_cells_are_the_counted_applications(context)
    assert_figures_match_records(context, campaign)

    # A rebuild from scratch lands on the same cells as the increments.
    incremental = cells(context)
    with unit_of_work(context.database.sessions) as session:
        rebuilt = tally.rebuild_applications(session=session, clock=context.clock)
    assert rebuilt.rebuilt
    assert cells(context) == incremental


def test_a_late_sync_lands_on_its_capture_day_after_the_tally_was_built(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    first, second = commune.villages[:2]
    kit_a, kit_b = (
        registered_kit(context, commune.code, "operator.a"),
        registered_kit(context, commune.code, "operator.b"),
    )
    checked_on_day(context, pipeline, kit_a, village_adults(context, first, 3), dt.date(2026, 11, 27))
    assert_figures_match_records(context, campaign)  # builds the tally
    # Kit B captured in the second village five days ago without signal; the packets arrive now.
    checked_on_day(context, pipeline, kit_b, village_adults(context, second, 2), dt.date(2026, 11, 23))
    figures = assert_figures_match_records(context, campaign)
    assert figures.reached_by_day[(second, dt.date(2026, 11, 23))] == 2
    assert_cells_are_the_counted_applications(context)


def test_reassignment_and_a_corrected_target_change_no_cell(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    village = commune.villages[0]
    kit_a, kit_b = (
        registered_kit(context, commune.code, "operator.a"),
        registered_kit(context, commune.code, "operator.b"),
    )
    kit_sent_to(context, kit_a.device_id, [village], START, DEADLINE, team_name="Tổ 1")
    kit_sent_to(context, kit_b.device_id, [commune.villages[1]], START, DEADLINE, team_name="Tổ 2")
    checked_on_day(context, pipeline, kit_a, village_adults(context, village, 3), dt.date(2026, 11, 26))
    assert_figures_match_records(context, campaign)
    before = cells(context)
    kit_sent_to(context, kit_b.device_id, [village], dt.date(2026, 11, 27), DEADLINE)
    with unit_of_work(context.database.sessions) as session:
        service.correct_targets(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            campaign_id=campaign.id,
            targets={village: service.TargetIn(adults=1, age_6_14=0, under_6=0)},
        )
    assert refresh(context).changes == 0
    assert cells(context) == before
    checked_on_day(context, pipeline, kit_b, village_adults(context, village, 2, skip=3), dt.date(2026, 11, 27))
    figures = assert_figures_match_records(context, campaign)
    teams = {t.name: t.reached for t in figures.teams}
    assert (teams["Tổ 1"], teams["Tổ 2"]) == (3, 2)  # the work a kit did stays with its team
    v = next(v for v in figures.villages if v.village_id == village)
    assert (v.target_adults, v.target_error) == (1, True)


def test_the_visit_tally_counts_stored_visits_once_and_doors_once_a_day(
    context: Context, commune: SmallCommune, campaign: Campaign
) -> None:
    village = commune.villages[0]
    one, two = commune.households[village][:2]
    morning = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)  # 08:00 in the commune
    late = dt.datetime(2026, 11, 26, 17, 30, tzinfo=dt.UTC)  # 00:30 on the 27th in the commune
    reports = [
        visit_report(one, VisitOutcome.ABSENT, morning),
        visit_report(one, VisitOutcome.DONE, morning + dt.timedelta(hours=3)),
        visit_report(two, VisitOutcome.REFUSED, morning),
        visit_report(two, VisitOutcome.ABSENT, late),
    ]
    with unit_of_work(context.database.sessions) as session:
        record_visits(session=session, clock=context.clock, reports=reports[:3])
    with unit_of_work(context.database.sessions) as session:  # a resend with one new report
        record_visits(session=session, clock=context.clock, reports=reports)
    figures = figures_of(context, campaign)
    assert_totals_are_the_cells_summed(context)
    assert figures.visited_by_day == {(village, dt.date(2026, 11, 26)): 2, (village, dt.date(2026, 11, 27)): 1}
    v = next(v for v in figures.villages if v.village_id == village)
    assert v.visits == {"absent": 2, "done": 1, "refused": 1}
    with unit_of_work(context.database.sessions) as session:
        incremental = {(c.village_id, c.day, c.measure): c.n for c in session.scalars(select(VisitCell))}
        tally.rebuild_visits(session=session)
    with unit_of_work(context.database.sessions) as session:
        assert {(c.village_id, c.day, c.measure): c.n for c in session.scalars(select(VisitCell))} == incremental
    assert_totals_are_the_cells_summed(context)


def test_migration_0004_counts_the_visits_stored_before_it(context: Context, household_id: int) -> None:
    engine = context.database.engine
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    try:
        with engine.begin() as connection:
            village_id = connection.execute(
                text("SELECT village_id FROM household WHERE id = :h"), {"h": household_id}
            ).scalar_one()
            for n, (outcome, at) in enumerate(
                [
                    ("absent", dt.datetime(2026, 11, 26, 1, 0)),
                    ("done", dt.datetime(2026, 11, 26, 4, 0)),
                    ("refused", dt.datetime(2026, 11, 26, 18, 0)),  # 01:00 on the 27th in the commune
                ]
            ):
                connection.execute(
                    text(
                        "INSERT INTO campaign_visit (id, device_id, operator, household_id, village_id, outcome, "
                        "visited_at, received_at) VALUES (:id, 'kit-1', 'op', :h, :v, :o, :at, :at)"
                    ),
                    {
                        "id": f"00000000-0000-7000-8000-00000000000{n}",
                        "h": household_id,
                        "v": village_id,
                        "o": outcome,
                        "at": at.replace(tzinfo=dt.UTC) if engine.dialect.name == "postgresql" else at,
                    },
                )
    finally:
        migrate.upgrade(engine)
    with unit_of_work(context.database.sessions) as session:
        found = {(c.day, c.measure): c.n for c in session.scalars(select(VisitCell))}
        mark = session.scalar(select(TallyMark.seq))
    assert found == {
        (dt.date(2026, 11, 26), "absent"): 1,
        (dt.date(2026, 11, 26), "done"): 1,
        (dt.date(2026, 11, 26), "households"): 1,
        (dt.date(2026, 11, 27), "refused"): 1,
        (dt.date(2026, 11, 27), "households"): 1,
    }
    assert mark == -1  # the application tally is built by its first refresh


def test_migration_0006_sums_the_cells_already_counted_into_village_totals(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    village = commune.villages[0]
    kit = registered_kit(context, commune.code, "operator.a")
    checked_on_day(context, pipeline, kit, village_adults(context, village, 3), dt.date(2026, 11, 25))
    issue_waiting(context, pipeline, commune.code)
    refresh(context)
    at = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)
    with unit_of_work(context.database.sessions) as session:
        record_visits(
            session=session,
            clock=context.clock,
            reports=[visit_report(h, VisitOutcome.NO_SMARTPHONE, at) for h in commune.households[village][:2]],
        )
    before = figures_of(context, campaign).as_dict()
    engine = context.database.engine
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    migrate.upgrade(engine)
    assert_cells_are_the_counted_applications(context)  # and the totals their sums, rebuilt by 0006
    assert figures_of(context, campaign).as_dict() == before


def test_two_refreshes_at_once_count_each_change_once(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    kit = registered_kit(context, commune.code, "operator.a")
    checked_on_day(context, pipeline, kit, village_adults(context, commune.villages[0], 3), dt.date(2026, 11, 25))
    refresh(context)
    issue_waiting(context, pipeline, commune.code)
    results: list[tally.RefreshResult] = []
    first_in = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with unit_of_work(context.database.sessions) as session:
            results.append(tally.refresh_applications(session=session, clock=context.clock))
            first_in.set()
            release.wait(timeout=30)

    def second() -> None:
        first_in.wait(timeout=30)
        results.append(refresh(context))  # waits for the holder's lock, then finds the work done

    threads = [threading.Thread(target=holder), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_in.wait(timeout=30)
    release.set()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2
    assert results[0].changes > 0
    assert results[1].changes == 0
    assert_cells_are_the_counted_applications(context)
    assert_figures_match_records(context, campaign)
