"""Tomorrow's plan follows its rules: order, pace, distance, signal, continuity, mop-up, deadline."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from tests.factories import SmallCommune, campaign_teams, team_assignment, visit_report
from typer.testing import Result

from civicid.campaign import service
from civicid.campaign.figures import CampaignFigures, TeamFigures, VillageFigures, campaign_figures
from civicid.campaign.models import Campaign
from civicid.campaign.plan import (
    DEFAULT_TEAM_PACE,
    FAR_KM,
    Plan,
    PlanWork,
    Why,
    next_working_day,
    plan_work,
    suggest_plan,
    tomorrow_plan,
)
from civicid.campaign.visits import record_visits
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.zone import TIME_ZONE
from civicid.protocol.codes import VisitOutcome

TODAY = dt.date(2026, 11, 28)  # the suite's clock: a Saturday
TOMORROW = dt.date(2026, 11, 30)  # the next working day: Monday (the teams rest on Sunday)
SYNCED = dt.datetime(2026, 11, 28, 18, 0, tzinfo=TIME_ZONE)


def village(
    village_id: int,
    *,
    left: int = 100,
    pace: float = 5.0,
    needed: float | None = 10.0,
    km: float = 2.0,
    signal: str = "good",
    at: tuple[float, float] | None = None,
) -> VillageFigures:
    v = VillageFigures(
        village_id, f"Thôn {village_id}", "00001", km, signal, at[0] if at else None, at[1] if at else None
    )
    v.target_adults, v.pace, v.required_pace = left, pace, needed
    v.behind = needed is None or needed > pace
    v.projected_finish = None if v.behind else TODAY + dt.timedelta(days=10)
    return v


def team(
    team_id: int,
    *,
    kit: str | None = "kit",
    worked: dict[int, int] | None = None,
    synced: dt.datetime | None = SYNCED,
    pending: int = 0,
) -> TeamFigures:
    """A team whose kit reached ``worked[days ago]`` people on those days."""
    by_day = {TODAY - dt.timedelta(days=ago): n for ago, n in (worked or {}).items()}
    return TeamFigures(
        team_id,
        f"Tổ {team_id}",
        f"{kit}-{team_id}" if kit else None,
        by_day=by_day,
        last_sync_at=synced,
        pending_captures=pending,
    )


def figures(villages: list[VillageFigures], teams: list[TeamFigures], days_left: int = 20) -> CampaignFigures:
    total = VillageFigures(0, "", "00001", 0.0, "", None, None)
    return CampaignFigures(
        1, "00001", "Chiến dịch", TODAY, TODAY + dt.timedelta(days=40), TODAY, days_left, villages, {}, {}, teams, total
    )


def plan_of(f: CampaignFigures, **work: object) -> Plan:
    return suggest_plan(f, PlanWork(day=TOMORROW, **work))  # type: ignore[arg-type]


def codes(whys: tuple[Why, ...]) -> list[str]:
    return [w.code for w in whys]


class TestOrder:
    def test_the_village_furthest_behind_comes_first(self) -> None:
        calm = village(1, pace=12, needed=10, km=0.5)
        late = village(2, pace=1, needed=12, km=6.0)
        plan = plan_of(figures([calm, late], [team(1)]))
        assert plan.lines[0].village_id == 2
        assert plan.lines[0].reason == "behind"
        assert "behind" in codes(plan.lines[0].why)

    def test_nearer_breaks_ties_among_the_most_urgent(self) -> None:
        far = village(1, km=8.0)
        near = village(2, km=1.0)
        plan = plan_of(figures([far, near], [team(1)]))
        assert plan.lines[0].village_id == 2
        assert plan.lines[0].why[0] == Why("nearest", {"km": "1.0"})

    def test_villages_done_are_left_out(self) -> None:
        done = village(1, left=0)
        plan = plan_of(figures([done], [team(1)]))
        assert plan.lines == []


class TestCapacity:
    def test_a_team_reaches_its_own_pace_over_the_last_seven_days(self) -> None:
        # 10, 20 and 30 on three days worked this week; 90 nine days ago does not count.
        crew = team(1, worked={0: 10, 1: 20, 3: 30, 4: 0, 9: 90})
        plan = plan_of(figures([village(1, left=500)], [crew]))
        assert plan.lines[0].expected == 20
        assert Why("team_pace", {"pace": "20", "days": "3"}) in plan.lines[0].why

    def test_a_team_without_history_is_given_the_default_pace(self) -> None:
        plan = plan_of(figures([village(1, left=500)], [team(1)]))
        assert plan.lines[0].expected == DEFAULT_TEAM_PACE
        assert "no_history" in codes(plan.lines[0].why)

    def test_a_far_village_costs_a_quarter_of_the_day_on_the_road(self) -> None:
        plan = plan_of(figures([village(1, left=500, km=FAR_KM + 2)], [team(1, worked={0: 20})]))
        assert plan.lines[0].expected == 15
        assert Why("far", {"km": "12.0"}) in plan.lines[0].why

    def test_teams_spread_over_the_open_villages_before_sharing_one(self) -> None:
        plan = plan_of(figures([village(1), village(2, km=5.0), village(3, km=9.0)], [team(1), team(2), team(3)]))
        assert sorted(line.village_id for line in plan.lines) == [1, 2, 3]

    def test_two_teams_never_plan_more_than_is_left(self) -> None:
        plan = plan_of(figures([village(1, left=30)], [team(1), team(2)]))
        assert sum(line.expected for line in plan.lines) == 30

    def test_a_second_village_only_when_near_the_first(self) -> None:
        small = village(1, left=10, pace=1, needed=20, at=(21.000, 104.000))
        near = village(2, left=100, pace=5, needed=6, at=(21.010, 104.010))  # about 1.5 km away
        far = village(3, left=100, pace=5, needed=7, at=(21.200, 104.200))  # about 30 km away
        plan = plan_of(figures([small, near, far], [team(1, worked={0: 40})]))
        assert [line.village_id for line in plan.lines] == [1, 2]
        assert plan.lines[1].why[0].code == "nearby"
        assert plan.lines[0].expected + plan.lines[1].expected == 40


class TestSignal:
    def test_a_village_without_signal_goes_to_a_kit_synced_with_nothing_unsent(self) -> None:
        hill = village(1, left=100, pace=0, needed=30, signal="none")
        valley = village(2, left=100, pace=5, needed=6)
        behind_kit = team(1, worked={0: 30}, pending=12)
        clean_kit = team(2, worked={0: 20})
        plan = plan_of(figures([hill, valley], [behind_kit, clean_kit]))
        by_team = {line.team_id: line for line in plan.lines}
        assert by_team[2].village_id == 1
        assert "no_signal" in codes(by_team[2].why)
        assert by_team[1].village_id == 2  # the kit with unsent captures stays where it can sync

    def test_a_kit_last_synced_days_ago_is_not_sent_where_nothing_syncs(self) -> None:
        hill = village(1, signal="none")
        old = team(1, synced=SYNCED - dt.timedelta(days=3))
        plan = plan_of(figures([hill], [old]))
        assert plan.lines == []
        assert plan.notes == (Why("no_sync_ready", {"villages": "Thôn 1"}),)

    def test_weak_signal_says_where_to_sync(self) -> None:
        plan = plan_of(figures([village(1, signal="weak")], [team(1)]))
        assert "weak_signal" in codes(plan.lines[0].why)


class TestContinuityAndMopUp:
    def test_a_team_starts_in_the_village_its_kit_already_holds(self) -> None:
        urgent = village(1, pace=0, needed=20)
        held = village(2, pace=5, needed=6)
        plan = plan_of(figures([urgent, held], [team(7)]), assigned={7: frozenset({2})})
        assert plan.lines[0].village_id == 2
        assert plan.lines[0].why[0] == Why("assigned")

    def test_a_village_past_its_planned_days_is_mopped_up_household_by_household(self) -> None:
        plan = plan_of(
            figures([village(1, left=12)], [team(1)]), planned_over=frozenset({1}), revisits={1: (31, 35, 40)}
        )
        line = plan.lines[0]
        assert line.reason == "mop_up"
        assert line.households == (31, 35, 40)
        assert line.why[0] == Why("mop_up", {"households": "3"})

    def test_the_last_working_days_are_mop_up(self) -> None:
        plan = plan_of(figures([village(1)], [team(1)], days_left=2), revisits={1: (5,)})
        assert plan.lines[0].reason == "mop_up"
        assert plan.lines[0].households == (5,)


class TestDeadline:
    def test_the_plan_says_when_the_teams_cannot_finish_in_time(self) -> None:
        plan = plan_of(figures([village(1, left=1000)], [team(1)], days_left=5))
        assert Why("short", {"days": "40", "left": "5", "people": "1000"}) in plan.notes

    def test_a_team_without_kit_is_not_sent_and_the_plan_says_so(self) -> None:
        plan = plan_of(figures([village(1)], [team(1, kit=None), team(2)]))
        assert {line.team_id for line in plan.lines} == {2}
        assert Why("no_kit", {"team": "Tổ 1"}) in plan.notes

    def test_nothing_is_planned_after_the_deadline(self) -> None:
        plan = suggest_plan(figures([village(1)], [team(1)], days_left=0), PlanWork(day=None))
        assert (plan.day, plan.lines, plan.notes) == (None, [], (Why("over"),))


def test_without_the_records_the_plan_still_skips_sunday() -> None:
    plan = suggest_plan(figures([village(1)], [team(1)]))
    assert plan.day == TOMORROW
    assert plan.lines[0].households == ()


def test_the_next_working_day_skips_the_day_of_rest(campaign: Campaign) -> None:
    assert next_working_day(campaign, TODAY) == TOMORROW
    assert next_working_day(campaign, campaign.deadline) is None


@pytest.fixture
def planned(context: Context, commune: SmallCommune, campaign: Campaign) -> dict[str, int]:
    """Two teams: the first assigned tomorrow to the first village; the second village's days are over."""
    first, second = commune.villages[:2]
    ids = campaign_teams(context, campaign, {"Tổ 1": "kit-a", "Tổ 2": "kit-b"})
    team_assignment(context, ids["Tổ 1"], TODAY, TOMORROW + dt.timedelta(days=5), village_ids=[first])
    team_assignment(context, ids["Tổ 2"], dt.date(2026, 11, 20), dt.date(2026, 11, 27), village_ids=[second])
    absent, back_later, refused = commune.households[second][:3]
    at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=TIME_ZONE)
    visits = [
        (absent, VisitOutcome.ABSENT, at),
        (back_later, VisitOutcome.ABSENT, at),
        (back_later, VisitOutcome.DONE, at + dt.timedelta(days=1)),
        (refused, VisitOutcome.REFUSED, at),
    ]
    reports = [visit_report(h, outcome, when, device_id="kit-b", operator="lan") for h, outcome, when in visits]
    with unit_of_work(context.database.sessions) as session:
        record_visits(session=session, clock=context.clock, reports=reports)
    return ids | {"absent": absent}


def test_the_records_give_the_revisit_list_the_assignments_and_the_villages_past_their_days(
    context: Context, commune: SmallCommune, campaign: Campaign, planned: dict[str, int]
) -> None:
    first, second = commune.villages[:2]
    with unit_of_work(context.database.sessions) as session:
        work = plan_work(session=session, campaign=campaign, today=TODAY)
        plan = tomorrow_plan(
            session=session,
            campaign=campaign,
            figures=campaign_figures(session=session, clock=context.clock, campaign=campaign),
        )
    assert work.day == TOMORROW
    assert work.revisits == {second: (planned["absent"],)}  # the refusal is final; the later visit succeeded
    assert work.assigned == {planned["Tổ 1"]: frozenset({first})}
    assert work.planned_over == frozenset({second})
    first_line = next(line for line in plan.lines if line.team_id == planned["Tổ 1"])
    assert (first_line.village_id, first_line.why[0]) == (first, Why("assigned"))
    assert all(line.why for line in plan.lines)


def test_civicid_campaign_plan_prints_the_plan_as_json(
    civicid: Callable[..., Result], commune: SmallCommune, planned: dict[str, int]
) -> None:
    result = civicid("campaign", "plan", "--commune", commune.code, "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["day"] == TOMORROW.isoformat()
    assert plan["lines"]
    line = plan["lines"][0]
    assert {"team", "village", "expected", "reason", "households", "why", "why_text"} <= set(line)
    assert line["why_text"]
    assert "{" not in line["why_text"]  # every value filled in
    text = civicid("campaign", "plan", "--commune", commune.code)
    assert text.exit_code == 0, text.output
    assert "Plan for 2026-11-30" in text.output
    assert f"{line['team']}: {line['village']}" in text.output


def test_on_a_simulated_campaign_the_plan_keeps_every_rule(context: Context, commune: SmallCommune) -> None:
    """Real kits over three simulated days: the no-signal team comes back with unsent captures."""
    from civicid.sim.campaign import simulate_campaign

    run = simulate_campaign(context=context, commune_code=commune.code, days=3, per_team_day=2)
    with unit_of_work(context.database.sessions) as session:
        campaign = service.get_campaign(session=session, campaign_id=run.campaign_id)
        figures = campaign_figures(session=session, clock=context.clock, campaign=campaign)
        plan = tomorrow_plan(session=session, campaign=campaign, figures=figures)
    assert plan.day == TOMORROW
    assert plan.lines
    villages = {v.village_id: v for v in figures.villages}
    teams = {t.team_id: t for t in figures.teams}
    planned: dict[int, int] = {}
    for line in plan.lines:
        team_figures = teams[line.team_id]
        assert team_figures.device_id is not None  # rule: no kit, no line
        assert line.why
        assert line.why[0].code in {"assigned", "nearest", "nearby", "mop_up"}
        assert any(w.code in {"team_pace", "no_history"} for w in line.why)
        if villages[line.village_id].signal == "none":
            assert team_figures.pending_captures == 0  # rule 5: never a kit with unsent captures
        planned[line.village_id] = planned.get(line.village_id, 0) + line.expected
    for village_id, expected in planned.items():
        assert expected <= villages[village_id].remaining  # never more than is left
    for team_id in teams:
        assert sum(1 for line in plan.lines if line.team_id == team_id) <= 2
    behind_kit = [t for t in figures.teams if t.pending_captures > 0]
    assert behind_kit, "the simulation leaves the no-signal team with unsent captures"
