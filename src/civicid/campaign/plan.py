"""Tomorrow's plan: which team goes where, suggested from the remaining work (field-campaign.md §8.3).

The committee decides at its evening review; this only proposes, and says why for every line.
The rules, in the order they apply:

1. **Open villages.** A village is open while people are left to reach (adult target in force
   minus reached). Its households to go back to are those whose last visit ended in a revisit
   outcome (absent, no smartphone, no signal, other: ``visits.REVISIT_OUTCOMES``).
2. **Order.** Villages behind (projected finish after the deadline, or no pace at all) come first,
   the widest gap between the pace needed and the pace of the last seven days first; then the
   others by what is left; nearer the commune centre breaks ties.
3. **Mop-up.** A village whose planned days are over (no assignment runs on the planned day or
   later), or any open village in the last ``MOP_UP_DAYS`` working days before the deadline, is
   worked as mop-up: the line names the households to go back to, nearest-numbered first.
4. **Capacity.** A team reaches in a day what its kit reached per day worked over the last seven
   days (``DEFAULT_TEAM_PACE`` before it has any history, never below ``MIN_TEAM_PACE``). A village
   further than ``FAR_KM`` from the commune centre costs ``TRAVEL_SHARE`` of the day on the road.
5. **Signal.** A village without signal is given only to a team whose kit synced within the last
   day with nothing left unsent, and the line tells it to sync fully in the morning before
   leaving, since nothing will sync out there. Weak signal: sync from the commune office.
6. **Continuity.** A team assigned on the planned day to an open village starts there: its kit
   already holds the village's extract. Otherwise it takes, among the most urgent villages (the
   first ``max(3, teams)`` of those behind, or of all when none is), the one nearest the commune
   centre. Teams spread out: a village is given to a second team only once every open village
   has one (continuity aside).
7. **A second village.** A team with capacity left moves on to the nearest open village within
   ``NEAR_KM`` of the first (at most ``MAX_VILLAGES_PER_DAY``).
8. **Deadline.** If the teams' combined pace times the working days left falls short of what is
   left, the plan says so: more teams, or longer days, are the committee's call.

Teams without a kit cannot capture; the plan says so instead of sending them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.campaign.figures import PACE_DAYS, CampaignFigures, TeamFigures, VillageFigures
from civicid.campaign.models import DEFAULT_WORKING_DAYS, Assignment, Campaign, Team, Visit
from civicid.campaign.visits import REVISIT_OUTCOMES
from civicid.country.zone import TIME_ZONE
from civicid.protocol.codes import VisitOutcome
from civicid.registry import queries as registry

DEFAULT_TEAM_PACE = 25  # people a team reaches in a day before it has any history
MIN_TEAM_PACE = 5
MOP_UP_DAYS = 3  # the last working days before the deadline go to mop-up
FAR_KM = 10.0
TRAVEL_SHARE = 0.25  # of a day spent on the road to a far village
NEAR_KM = 3.0  # a second village within this distance of the first
MAX_VILLAGES_PER_DAY = 2
SYNC_FRESH_DAYS = 1  # a kit sent without signal synced within this many days, nothing unsent
HOUSEHOLDS_LISTED = 30  # mop-up households named on one line, at most
NO_KIT = "no_kit"


@dataclass(frozen=True)
class Why:
    """One reason for a line, as a message key's last part and its values (already formatted)."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, **self.params}


@dataclass(frozen=True)
class PlanLine:
    team: str
    team_id: int
    device_id: str | None
    village_id: int
    village: str
    expected: int  # people the team may reach there
    reason: str  # "behind", "on_track" or "mop_up": the line's headline
    households: tuple[int, ...] = ()  # mop-up: the households to go back to
    why: tuple[Why, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "team_id": self.team_id,
            "device_id": self.device_id,
            "village_id": self.village_id,
            "village": self.village,
            "expected": self.expected,
            "reason": self.reason,
            "households": list(self.households),
            "why": [w.as_dict() for w in self.why],
        }


@dataclass(frozen=True)
class Plan:
    day: dt.date | None  # the working day planned; None after the deadline
    working_days_left: int
    lines: list[PlanLine]
    notes: tuple[Why, ...]  # what concerns the whole commune (short of time, a team without kit)

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat() if self.day else None,
            "working_days_left": self.working_days_left,
            "lines": [line.as_dict() for line in self.lines],
            "notes": [n.as_dict() for n in self.notes],
        }


@dataclass(frozen=True)
class PlanWork:
    """What the plan needs beyond the figures: the revisit lists and the assignments of the day."""

    day: dt.date | None = None
    revisits: Mapping[int, tuple[int, ...]] = field(default_factory=dict)  # village -> households
    assigned: Mapping[int, frozenset[int]] = field(default_factory=dict)  # team -> villages on the day
    planned_over: frozenset[int] = frozenset()  # villages whose planned days are over


def tomorrow_plan(*, session: Session, campaign: Campaign, figures: CampaignFigures) -> Plan:
    """The plan for the next working day after ``figures.today``, from the records."""
    return suggest_plan(figures, plan_work(session=session, campaign=campaign, today=figures.today))


def plan_work(*, session: Session, campaign: Campaign, today: dt.date) -> PlanWork:
    """The revisit lists, the assignments of the next working day and the villages past their days."""
    day = next_working_day(campaign, today)
    if day is None:
        return PlanWork()
    village_ids = registry.village_ids_in([campaign.commune_code])
    last = (
        select(Visit.household_id, func.max(Visit.visited_at).label("at"))
        .where(Visit.village_id.in_(village_ids))
        .group_by(Visit.household_id)
        .subquery()
    )
    # A household's last visit may hold several rows (one per person): any revisit outcome counts.
    rows = session.execute(
        select(Visit.village_id, Visit.household_id, Visit.outcome).join(
            last, (last.c.household_id == Visit.household_id) & (last.c.at == Visit.visited_at)
        )
    ).all()
    revisits: dict[int, set[int]] = {}
    for village_id, household_id, outcome in rows:
        if VisitOutcome(outcome) in REVISIT_OUTCOMES:
            revisits.setdefault(village_id, set()).add(household_id)
    assigned: dict[int, set[int]] = {}
    ends: dict[int, dt.date] = {}
    for team_id, place, start, end in session.execute(
        select(Assignment.team_id, Assignment.village_id, Assignment.start_date, Assignment.end_date)
        .join(Team, Team.id == Assignment.team_id)
        .where(Team.campaign_id == campaign.id, Assignment.withdrawn_at.is_(None), Assignment.village_id.is_not(None))
    ):
        if place is None:  # filtered out above; this satisfies the type
            continue
        village_id = place
        ends[village_id] = max(ends.get(village_id, end), end)
        if start <= day <= end:
            assigned.setdefault(team_id, set()).add(village_id)
    return PlanWork(
        day=day,
        revisits={v: tuple(sorted(h)) for v, h in revisits.items()},
        assigned={t: frozenset(v) for t, v in assigned.items()},
        planned_over=frozenset(v for v, end in ends.items() if end < day),
    )


def next_working_day(campaign: Campaign, today: dt.date) -> dt.date | None:
    """The first working day after ``today`` within the campaign, None once the deadline is passed."""
    day = max(today + dt.timedelta(days=1), campaign.start_date)
    while day <= campaign.deadline:
        if str(day.weekday()) in campaign.working_days:
            return day
        day += dt.timedelta(days=1)
    return None


def suggest_plan(figures: CampaignFigures, work: PlanWork | None = None) -> Plan:
    """One line per (team, village) for the next working day, each with why (rules 1 to 8 above).

    Without ``work`` (the dashboard before it passes the records) the plan has no revisit lists,
    no continuity and no past assignments: it falls back to the figures alone, and to the default
    working days (Monday to Saturday) for the day it plans.
    """
    work = work or PlanWork(day=_next_default_working_day(figures))
    days_left = figures.working_days_left
    if work.day is None or days_left <= 0:
        return Plan(None, 0, [], (Why("over"),))
    final_days = days_left <= MOP_UP_DAYS
    open_villages = sorted((v for v in figures.villages if v.remaining > 0), key=_priority)
    left = {v.village_id: v.remaining for v in open_villages}
    notes: list[Why] = []
    lines: list[PlanLine] = []
    teams = sorted(figures.teams, key=lambda t: (-_pace(t, figures.today)[0], t.name))
    for team in teams:
        if team.device_id is None:
            notes.append(Why(NO_KIT, {"team": team.name}))
            continue
        taken = {line.village_id for line in lines}
        lines += _team_day(team, figures, work, open_villages, left, final_days, taken)
    capacity = sum(_pace(t, figures.today)[0] for t in teams if t.device_id is not None)
    remaining = sum(v.remaining for v in figures.villages)
    if remaining and capacity * days_left < remaining:
        needed = math.ceil(remaining / max(capacity, 1))
        notes.append(Why("short", {"days": str(needed), "left": str(days_left), "people": str(remaining)}))
    skipped = [v.name for v in open_villages if v.signal == "none" and left[v.village_id] == v.remaining]
    if skipped and not any(_sync_ready(t, figures.today) for t in teams if t.device_id):
        notes.append(Why("no_sync_ready", {"villages": ", ".join(skipped)}))
    return Plan(work.day, days_left, lines, tuple(notes))


def _next_default_working_day(figures: CampaignFigures) -> dt.date | None:
    day = figures.today + dt.timedelta(days=1)
    while str(day.weekday()) not in DEFAULT_WORKING_DAYS:
        day += dt.timedelta(days=1)
    return day if day <= figures.deadline else None


def _team_day(
    team: TeamFigures,
    figures: CampaignFigures,
    work: PlanWork,
    open_villages: list[VillageFigures],
    left: dict[int, int],
    final_days: bool,
    taken: set[int],
) -> list[PlanLine]:
    """Rules 4 to 7 for one team: where it starts, how many it reaches, where it goes next."""
    pace, worked = _pace(team, figures.today)
    capacity = float(pace)
    ready = _sync_ready(team, figures.today)
    allowed = [v for v in open_villages if ready or v.signal != "none"]
    lines: list[PlanLine] = []
    here: VillageFigures | None = None
    while capacity >= 1 and len(lines) < MAX_VILLAGES_PER_DAY:
        candidates = [v for v in allowed if left[v.village_id] > 0]
        if here is not None:
            candidates = [v for v in candidates if _distance(here, v) <= NEAR_KM]
        if not candidates:
            break
        village, first_why = _choose(team, work, candidates, here, len(figures.teams), taken)
        day_share = 1 - TRAVEL_SHARE if village.distance_km > FAR_KM else 1.0
        take = min(math.floor(capacity * day_share), left[village.village_id])
        if take <= 0:
            break
        left[village.village_id] -= take
        capacity -= take / day_share
        why = [first_why, _pace_why(pace, worked), *_village_whys(village, figures)]
        mop_up = final_days or village.village_id in work.planned_over
        households: tuple[int, ...] = ()
        if mop_up:
            households = work.revisits.get(village.village_id, ())[:HOUSEHOLDS_LISTED]
            why.insert(0, Why("mop_up", {"households": str(len(work.revisits.get(village.village_id, ())))}))
        if day_share < 1:
            why.append(Why("far", {"km": f"{village.distance_km:.1f}"}))
        if village.without_path:
            # Issue 19: people with no smartphone and no account are activated face to face by the team.
            why.append(Why("assisted", {"people": str(village.without_path)}))
        if village.signal == "none":
            why.append(Why("no_signal"))
        elif village.signal == "weak":
            why.append(Why("weak_signal"))
        reason = "mop_up" if mop_up else ("behind" if village.behind else "on_track")
        lines.append(
            PlanLine(
                team.name,
                team.team_id,
                team.device_id,
                village.village_id,
                village.name,
                take,
                reason,
                households,
                tuple(why),
            )
        )
        here = village
    return lines


def _choose(
    team: TeamFigures,
    work: PlanWork,
    candidates: list[VillageFigures],
    here: VillageFigures | None,
    teams: int,
    taken: set[int],
) -> tuple[VillageFigures, Why]:
    """Rule 6 (continuity, else the nearest of the most urgent) or rule 7 (the nearest next one).

    Teams spread out: a village another team already goes to is chosen only when no other is open.
    """
    candidates = [v for v in candidates if v.village_id not in taken] or candidates
    if here is not None:
        village = min(candidates, key=lambda v: _distance(here, v))
        return village, Why("nearby", {"km": f"{_distance(here, village):.1f}", "from": here.name})
    held = [v for v in candidates if v.village_id in work.assigned.get(team.team_id, frozenset())]
    if held:
        return held[0], Why("assigned")
    top = ([v for v in candidates if v.behind] or candidates)[: max(3, teams)]
    village = min(top, key=lambda v: (v.distance_km, v.name))
    return village, Why("nearest", {"km": f"{village.distance_km:.1f}"})


def _village_whys(village: VillageFigures, figures: CampaignFigures) -> list[Why]:
    if village.behind:
        needed = "—" if village.required_pace is None else f"{village.required_pace:.1f}"
        return [Why("behind", {"needed": needed, "pace": f"{village.pace:.1f}", "left": str(village.remaining)})]
    finish = village.projected_finish.strftime("%d/%m") if village.projected_finish else "—"
    return [Why("on_track", {"finish": finish, "left": str(village.remaining), "days": str(figures.working_days_left)})]


def _pace_why(pace: int, worked: int) -> Why:
    if worked == 0:
        return Why("no_history", {"pace": str(pace)})
    return Why("team_pace", {"pace": str(pace), "days": str(worked)})


def _priority(v: VillageFigures) -> tuple[bool, float, int, float]:
    """Rule 2: behind first, widest gap first, then most left, then nearest."""
    gap = math.inf if v.required_pace is None else v.required_pace - v.pace
    return (not v.behind, -gap, -v.remaining, v.distance_km)


def _pace(team: TeamFigures, today: dt.date) -> tuple[int, int]:
    """Rule 4: people per day worked over the last seven days, and how many days it worked."""
    since = today - dt.timedelta(days=PACE_DAYS - 1)
    worked = [n for day, n in team.by_day.items() if since <= day <= today and n > 0]
    if not worked:
        return DEFAULT_TEAM_PACE, 0
    return max(round(sum(worked) / len(worked)), MIN_TEAM_PACE), len(worked)


def _sync_ready(team: TeamFigures, today: dt.date) -> bool:
    """Rule 5: the kit synced lately with nothing unsent, so a morning sync leaves it complete."""
    if team.last_sync_at is None or team.pending_captures > 0:
        return False
    synced = team.last_sync_at.astimezone(TIME_ZONE).date()
    return (today - synced).days <= SYNC_FRESH_DAYS


def _distance(here: VillageFigures, there: VillageFigures) -> float:
    """Kilometres between two villages from their coordinates; by the centre when one lacks them."""
    if None in (here.latitude, here.longitude, there.latitude, there.longitude):
        return abs(there.distance_km - here.distance_km)
    dlat = (there.latitude or 0) - (here.latitude or 0)
    dlon = ((there.longitude or 0) - (here.longitude or 0)) * math.cos(math.radians(here.latitude or 0))
    return math.hypot(dlat, dlon) * 111.0


__all__ = ["Plan", "PlanLine", "PlanWork", "Why", "next_working_day", "plan_work", "suggest_plan", "tomorrow_plan"]
