"""The campaign's figures per village, team and day, summed from tallies of the records.

The tallies (``tally.py``, decision 0011) are brought up to date at the start of every read, from
the applications changed since their mark, so the figures equal counts taken from the records.

Definitions (field-campaign.md §8.3):

- *captured*: level-2 applications (14 and over, and 6 to 14 on request) taken by the kits;
  *reached*: those not rejected or sent back; *approved*, *issued*: decided by the supervisor,
  account issued; *activated*: the holder activated the account on a phone (DOMAIN.md: issuing is
  not activating); *children's cards*: under-6 cards issued.
- *coverage*: issued level-2 accounts over the adult target in force. Above 100 % the target is
  wrong (a listing round is due), and the figure is flagged, not celebrated.
- *pace*: people reached per working day over the last seven days; *required pace*: what is left
  over the working days left after today; *projected finish*: today plus what is left at the
  current pace, in working days.

Documents integrated are the wallet's (:func:`documents_integrated` asks it). Signatures activated
are the signing capability's (:func:`signatures_activated` asks its named query): citizens holding a
signing certificate that is not revoked.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.accounts import reach
from civicid.campaign import repository, tally
from civicid.campaign.models import Campaign, KitState, Team
from civicid.campaign.service import targets_in_force
from civicid.core.clock import Clock
from civicid.protocol.codes import VisitOutcome
from civicid.signing import service as signing
from civicid.wallet import service as wallet

PACE_DAYS = 7
BLOCKER_OUTCOMES = (VisitOutcome.NO_SMARTPHONE, VisitOutcome.NO_SIGNAL)


@dataclass
class VillageFigures:
    village_id: int
    name: str
    commune_code: str
    distance_km: float
    signal: str
    latitude: float | None
    longitude: float | None
    target_adults: int = 0
    target_under_6: int = 0
    target_version: int = 0
    captured: int = 0
    reached: int = 0
    approved: int = 0
    issued: int = 0
    activated: int = 0
    documents_integrated: int = 0
    signatures_activated: int = 0
    child_cards: int = 0
    failed: int = 0
    recent: int = 0  # reached over the last seven days
    no_card: int = 0  # residents of 14 and over without a valid ID card: they cannot enroll yet
    # Everyone gets an account (issue 19; accounts/reach.py):
    child_cards_requested: int = 0  # under-6 card applications received (child_cards: issued)
    children_accounts: int = 0  # level-1 accounts parents added for children under 14
    assisted: int = 0  # accounts activated face to face at the office (no smartphone)
    without_path: int = 0  # 14 and over, present, no smartphone, no account: assisted activation is their way
    visits: dict[str, int] = field(default_factory=dict)
    # Derived by _derive:
    coverage: float | None = None
    target_error: bool = False
    pace: float = 0.0
    required_pace: float | None = None
    projected_finish: dt.date | None = None
    behind: bool = False

    @property
    def remaining(self) -> int:
        return max(self.target_adults - self.reached, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "village_id": self.village_id,
            "village": self.name,
            "commune_code": self.commune_code,
            "distance_km": self.distance_km,
            "signal": self.signal,
            "target": {"adults": self.target_adults, "under_6": self.target_under_6, "version": self.target_version},
            "captured": self.captured,
            "reached": self.reached,
            "approved": self.approved,
            "issued": self.issued,
            "activated": self.activated,
            "documents_integrated": self.documents_integrated,
            "signatures_activated": self.signatures_activated,
            "child_cards": self.child_cards,
            "child_cards_requested": self.child_cards_requested,
            "children_accounts": self.children_accounts,
            "assisted_activations": self.assisted,
            "without_path": self.without_path,
            "rejected_or_returned": self.failed,
            "remaining": self.remaining,
            "coverage": None if self.coverage is None else round(self.coverage, 4),
            "target_error": self.target_error,
            "pace_per_day": round(self.pace, 2),
            "required_pace_per_day": None if self.required_pace is None else round(self.required_pace, 2),
            "projected_finish": self.projected_finish.isoformat() if self.projected_finish else None,
            "behind": self.behind,
            "visits": dict(sorted(self.visits.items())),
            "blockers": {o.value: self.visits.get(o.value, 0) for o in BLOCKER_OUTCOMES} | {"no_card": self.no_card},
        }


@dataclass
class TeamFigures:
    team_id: int
    name: str
    device_id: str | None
    captured: int = 0
    reached: int = 0
    issued: int = 0
    by_day: dict[dt.date, int] = field(default_factory=dict)
    last_sync_at: dt.datetime | None = None
    pending_captures: int = 0
    oldest_unsent_at: dt.datetime | None = None


@dataclass
class CampaignFigures:
    campaign_id: int
    commune_code: str
    name: str
    start: dt.date
    deadline: dt.date
    today: dt.date
    working_days_left: int
    villages: list[VillageFigures]
    # (village id, day) -> people reached that day; and households visited.
    reached_by_day: dict[tuple[int, dt.date], int]
    visited_by_day: dict[tuple[int, dt.date], int]
    teams: list[TeamFigures]
    total: VillageFigures

    def days(self) -> list[dt.date]:
        last = min(self.today, self.deadline)
        return [self.start + dt.timedelta(days=i) for i in range((last - self.start).days + 1)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": {
                "id": self.campaign_id,
                "commune_code": self.commune_code,
                "name": self.name,
                "start": self.start.isoformat(),
                "deadline": self.deadline.isoformat(),
            },
            "as_of": self.today.isoformat(),
            "working_days_left": self.working_days_left,
            "commune": self.total.as_dict() | {"village_id": None, "village": None},
            "villages": [v.as_dict() for v in self.villages],
            "teams": [
                {
                    "team": t.name,
                    "device_id": t.device_id,
                    "captured": t.captured,
                    "reached": t.reached,
                    "issued": t.issued,
                    "last_sync_at": t.last_sync_at.isoformat() if t.last_sync_at else None,
                    "pending_captures": t.pending_captures,
                    "oldest_unsent_at": t.oldest_unsent_at.isoformat() if t.oldest_unsent_at else None,
                }
                for t in self.teams
            ],
        }


def working_days_between(campaign: Campaign, first: dt.date, last: dt.date) -> int:
    """Working days of the campaign from ``first`` to ``last`` inclusive (0 when ``last < first``)."""
    if last < first:
        return 0
    weeks, extra = divmod((last - first).days + 1, 7)
    count = weeks * len(campaign.working_days)
    for i in range(extra):
        if str((first + dt.timedelta(days=i)).weekday()) in campaign.working_days:
            count += 1
    return count


def add_working_days(campaign: Campaign, start: dt.date, days: int) -> dt.date:
    """The working day ``days`` working days after ``start``.

    Whole weeks are skipped at once: a slow village's projection may lie years ahead, and the
    commune page derives one for every village.
    """
    per_week = len(campaign.working_days)
    if days <= 0 or per_week == 0:
        return start
    weeks, left = divmod(days - 1, per_week)
    day = start + dt.timedelta(weeks=weeks)
    left += 1
    while left > 0:
        day += dt.timedelta(days=1)
        if str(day.weekday()) in campaign.working_days:
            left -= 1
    return day


def campaign_figures(*, session: Session, clock: Clock, campaign: Campaign, with_days: bool = True) -> CampaignFigures:
    """Every figure of one campaign as of today; ``with_days`` adds the per-day cells and the teams."""
    return province_figures(session=session, clock=clock, campaigns=[campaign], with_days=with_days)[0]


def province_figures(
    *, session: Session, clock: Clock, campaigns: list[Campaign], with_days: bool = False
) -> list[CampaignFigures]:
    """The figures of several campaigns (a province's communes) with one query per kind of record.

    Every query reads per-village totals or one commune's range of cells, so the cost follows the
    number of villages, not the number of records (decision 0016).
    """
    if not campaigns:
        return []
    tally.refresh_applications(session=session, clock=clock)
    today = clock.today()
    codes = sorted({c.commune_code for c in campaigns})
    figures = {
        v.id: VillageFigures(v.id, v.name, v.commune_code, v.distance_km, str(v.signal), v.latitude, v.longitude)
        for v in repository.villages_of(session, codes)
    }
    targets = targets_in_force(session=session, campaign_ids=[c.id for c in campaigns])
    for campaign in campaigns:
        for village_id, target in targets[campaign.id].items():
            if village_id in figures:
                f = figures[village_id]
                f.target_adults, f.target_under_6, f.target_version = target.adults, target.under_6, target.version
    for row in repository.village_totals(session, codes):
        if row.village_id in figures:
            _add_counts(figures[row.village_id], row)
    since = today - dt.timedelta(days=PACE_DAYS - 1)
    _set(figures, "recent", repository.reached_since(session, codes, since))
    _set(figures, "activated", repository.activated_by_village(session, codes))
    _set(figures, "documents_integrated", documents_integrated(session=session, commune_codes=codes))
    _set(figures, "signatures_activated", signatures_activated(session=session, commune_codes=codes))
    _set(figures, "no_card", repository.no_card_by_village(session, codes, today))
    _set(figures, "child_cards_requested", repository.child_card_requests_by_village(session, codes))
    _set(figures, "children_accounts", reach.children_by_village(session, codes))
    _set(figures, "assisted", reach.assisted_by_village(session, codes))
    _set(figures, "without_path", reach.without_path_by_village(session, codes, today))
    for village_id, outcome, n in tally.visit_outcomes(session, codes, list(figures)):
        if village_id in figures:
            figures[village_id].visits[outcome] = n  # a VisitOutcome value: the column's CHECK says so
    by_commune: dict[str, list[VillageFigures]] = defaultdict(list)
    for f in figures.values():
        by_commune[f.commune_code].append(f)
    results = []
    for campaign in campaigns:
        own = sorted(by_commune[campaign.commune_code], key=lambda f: f.name)
        results.append(_campaign_result(session, campaign, today, own, with_days))
    return results


def _set(figures: dict[int, VillageFigures], name: str, by_village: Mapping[int, int]) -> None:
    """Set one measure of each village from a village -> count mapping (villages absent keep zero)."""
    for village_id, n in by_village.items():
        found = figures.get(village_id)
        if found is not None:
            setattr(found, name, n)


def _campaign_result(
    session: Session, campaign: Campaign, today: dt.date, villages: list[VillageFigures], with_days: bool
) -> CampaignFigures:
    days_left = working_days_between(campaign, today + dt.timedelta(days=1), campaign.deadline)
    worked = max(
        working_days_between(campaign, max(campaign.start_date, today - dt.timedelta(days=PACE_DAYS - 1)), today), 1
    )
    total = VillageFigures(0, "", campaign.commune_code, 0.0, "", None, None)
    finishes: dict[int, dt.date] = {}
    for f in villages:
        _derive(f, campaign, today, days_left, worked, finishes)
        _accumulate(total, f)
    _derive(total, campaign, today, days_left, worked, finishes)
    reached_by_day: dict[tuple[int, dt.date], int] = {}
    visited_by_day: dict[tuple[int, dt.date], int] = {}
    teams: list[TeamFigures] = []
    if with_days:
        cells = repository.cell_days(session, campaign.commune_code)
        for village_id, _device, day, _captured, reached, _issued in cells:
            if reached:
                key = (village_id, day)
                reached_by_day[key] = reached_by_day.get(key, 0) + int(reached)
        visited_by_day = tally.households_by_day(session, [f.village_id for f in villages])
        teams = _teams(session, campaign, cells)
    return CampaignFigures(
        campaign_id=campaign.id,
        commune_code=campaign.commune_code,
        name=campaign.name,
        start=campaign.start_date,
        deadline=campaign.deadline,
        today=today,
        working_days_left=days_left,
        villages=villages,
        reached_by_day=reached_by_day,
        visited_by_day=visited_by_day,
        teams=teams,
        total=total,
    )


def _add_counts(f: VillageFigures, row: Any) -> None:
    f.captured += int(row.captured or 0)
    f.reached += int(row.reached or 0)
    f.approved += int(row.approved or 0)
    f.issued += int(row.issued or 0)
    f.child_cards += int(row.child_cards or 0)
    f.failed += int(row.failed or 0)


def _accumulate(total: VillageFigures, f: VillageFigures) -> None:
    """Add a village into its commune's total (spelt out: the province report adds 6,400 villages)."""
    total.target_adults += f.target_adults
    total.target_under_6 += f.target_under_6
    total.captured += f.captured
    total.reached += f.reached
    total.approved += f.approved
    total.issued += f.issued
    total.activated += f.activated
    total.documents_integrated += f.documents_integrated
    total.signatures_activated += f.signatures_activated
    total.child_cards += f.child_cards
    total.failed += f.failed
    total.recent += f.recent
    total.no_card += f.no_card
    total.child_cards_requested += f.child_cards_requested
    total.children_accounts += f.children_accounts
    total.assisted += f.assisted
    total.without_path += f.without_path
    for outcome, n in f.visits.items():
        total.visits[outcome] = total.visits.get(outcome, 0) + n


def _derive(
    f: VillageFigures, campaign: Campaign, today: dt.date, days_left: int, worked: int, finishes: dict[int, dt.date]
) -> None:
    """Coverage, pace and projection of one village; ``finishes`` remembers the day n working days on."""
    if f.target_adults > 0:
        f.coverage = f.issued / f.target_adults
        f.target_error = f.issued > f.target_adults or f.reached > f.target_adults
    else:
        f.coverage = None
        f.target_error = f.reached > 0
    f.pace = f.recent / worked
    f.required_pace = (f.remaining / days_left) if days_left else (None if f.remaining else 0.0)
    if f.remaining == 0:
        f.projected_finish = today
    elif f.pace > 0:
        days = math.ceil(f.remaining / f.pace)
        if days not in finishes:
            finishes[days] = add_working_days(campaign, today, days)
        f.projected_finish = finishes[days]
    else:
        f.projected_finish = None
    f.behind = f.remaining > 0 and (f.projected_finish is None or f.projected_finish > campaign.deadline)


def _teams(session: Session, campaign: Campaign, cells: Sequence[Any]) -> list[TeamFigures]:
    """Each team's figures, from the commune's cells by kit: the work a kit did stays its team's."""
    teams = session.scalars(select(Team).where(Team.campaign_id == campaign.id).order_by(Team.name)).all()
    by_device = {t.device_id: TeamFigures(t.id, t.name, t.device_id) for t in teams if t.device_id}
    for _village, device_id, day, captured, reached, issued in cells:
        team = by_device.get(device_id)
        if team is None:
            continue
        team.captured += int(captured or 0)
        team.reached += int(reached or 0)
        team.issued += int(issued or 0)
        team.by_day[day] = team.by_day.get(day, 0) + int(reached or 0)
    states = session.scalars(select(KitState).where(KitState.device_id.in_(list(by_device)))).all()
    for state in states:
        team = by_device[state.device_id]
        team.last_sync_at, team.pending_captures, team.oldest_unsent_at = (
            state.last_sync_at,
            state.pending_captures,
            state.oldest_unsent_at,
        )
    without_kit = [TeamFigures(t.id, t.name, None) for t in teams if not t.device_id]
    return sorted([*by_device.values(), *without_kit], key=lambda t: t.name)


def documents_integrated(*, session: Session, commune_codes: list[str]) -> dict[int, int]:
    """Documents integrated into wallets (confirmed by their agencies), by the holder's village."""
    return wallet.integrated_by_village(session=session, commune_codes=commune_codes)


def signatures_activated(*, session: Session, commune_codes: list[str]) -> dict[int, int]:
    """Citizens who activated a digital signature (a certificate not revoked), by village: signing's named query."""
    return signing.activated_by_village(session=session, commune_codes=commune_codes)
