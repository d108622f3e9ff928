"""Tomorrow's plan, suggested from each village's pace and distance (field-campaign.md §8.3).

The committee decides; this only proposes. Villages furthest behind their required pace come
first; each team takes, among the most urgent, the nearest to where it goes next (starting from the
commune centre), for as many people as its own pace says it can reach in a day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from civicid.campaign.figures import CampaignFigures, TeamFigures, VillageFigures

DEFAULT_TEAM_CAPACITY = 25  # people a team reaches in a day before it has any history


@dataclass(frozen=True)
class PlanLine:
    team: str
    device_id: str | None
    village_id: int
    village: str
    expected: int
    reason: str  # "behind", "mop_up" or "on_track"


def suggest_plan(figures: CampaignFigures) -> list[PlanLine]:
    """One line per (team, village) for the next working day."""
    open_villages = [v for v in figures.villages if v.remaining > 0]
    open_villages.sort(key=lambda v: (-_urgency(v), v.distance_km))
    lines: list[PlanLine] = []
    teams = figures.teams or []
    if not teams:
        return lines
    last_place = {t.name: _last_village(t, figures) for t in teams}
    left = {v.village_id: v.remaining for v in open_villages}
    for team in teams:
        capacity = _capacity(team)
        here = last_place.get(team.name)
        while capacity > 0:
            candidates = [v for v in open_villages if left[v.village_id] > 0]
            if not candidates:
                break
            top = candidates[: max(3, len(teams))]
            village = min(top, key=lambda v: _distance(here, v))
            take = min(capacity, left[village.village_id])
            left[village.village_id] -= take
            capacity -= take
            here = village
            reason = "behind" if village.behind else ("mop_up" if village.pace == 0 and village.reached else "on_track")
            lines.append(PlanLine(team.name, team.device_id, village.village_id, village.name, take, reason))
    return lines


def _urgency(v: VillageFigures) -> float:
    if v.required_pace is None:
        return math.inf
    return v.required_pace - v.pace


def _capacity(team: TeamFigures) -> int:
    recent = sorted(team.by_day.items())[-7:]
    worked = [n for _, n in recent if n > 0]
    return max(round(sum(worked) / len(worked)), 5) if worked else DEFAULT_TEAM_CAPACITY


def _last_village(team: TeamFigures, figures: CampaignFigures) -> VillageFigures | None:
    del team
    return None if not figures.villages else min(figures.villages, key=lambda v: v.distance_km)


def _distance(here: VillageFigures | None, there: VillageFigures) -> float:
    if here is None or None in (here.latitude, here.longitude, there.latitude, there.longitude):
        return there.distance_km
    dlat = (there.latitude or 0) - (here.latitude or 0)
    dlon = ((there.longitude or 0) - (here.longitude or 0)) * math.cos(math.radians(here.latitude or 0))
    return math.hypot(dlat, dlon) * 111.0


__all__ = ["PlanLine", "suggest_plan"]
