"""A simulated campaign over several weeks, through the real field kits, for the demo and the tests.

Teams from the commune police, the Youth Union, the Women's Union, village heads and local security
each carry a real field kit (``civicid.field``), set up from an enrollment file in the data folder
(``<data>/kits/<n>``). Every working day the kit captures the adults its extract says still need
level 2 (``sim.field.capture_from_sim``: guard-rails, sealing, outbox, approval on the kit), notes
the doors where nobody was home, a refusal or a person without a smartphone
(``field.households.record_visit``), and syncs in the evening through ``field.sync.KitSync`` with
the server's app on a loopback port (``web.serving.ServerThread``); the server's pipeline runs and
the supervisor approves at the end of each day, and people with a smartphone activate the accounts
issued to them (``sim.phones``). Weather halves the work on rainy days. The team
sent to the villages without signal syncs from a hill on the last evening: the weak link carries
the status exchange but not the uploads, so the dashboard shows it behind with unsent captures.
A reassignment mid-campaign moves a village between teams: the old kit loses it at its next sync.

The server and the kits share one simulated clock (device tokens are checked against the server's
clock), moved day by day through the campaign, which ends yesterday; the last morning, the first
team syncs today.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.biometrics.simulated import simulated_extractors
from civicid.campaign import service
from civicid.campaign.assignments import assign
from civicid.campaign.models import Campaign, Organisation
from civicid.core.audit import Actor
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.zone import TIME_ZONE
from civicid.devices import enrollment_file
from civicid.enrollment.runtime import build_pipeline, build_worker, keystore_of
from civicid.enrollment.tasks import Pipeline
from civicid.field import setup
from civicid.field.households import record_visit
from civicid.field.kit import Kit
from civicid.field.models import KitHousehold, KitPerson, KitVisit
from civicid.field.sync import INTAKE, KitSync
from civicid.field.unlock import KitLogin
from civicid.protocol.codes import VisitOutcome
from civicid.registry import queries as registry
from civicid.registry.codes import SignalQuality
from civicid.sim.enrollment import approve_waiting
from civicid.sim.field import capture_from_sim
from civicid.sim.phones import DemoCitizen, SimulatedPhones
from civicid.web.serving import ServerThread

COMMITTEE = Actor("staff", "committee")
SIMULATOR = Actor("system", "simulator")
TEAMS = (
    ("Tổ 1 – Công an xã", Organisation.POLICE, Organisation.YOUTH_UNION),
    ("Tổ 2 – Đoàn Thanh niên", Organisation.POLICE, Organisation.YOUTH_UNION),
    ("Tổ 3 – Hội Phụ nữ", Organisation.POLICE, Organisation.WOMENS_UNION),
    ("Tổ 4 – An ninh cơ sở", Organisation.POLICE, Organisation.LOCAL_SECURITY),
)
MEMBER_NAMES = (
    "Nguyễn Văn Hùng",
    "Hoàng Thị Lan",
    "Lò Văn Dũng",
    "Đinh Thị Mai",
    "Lương Văn Tâm",
    "Vi Thị Hoa",
    "Ma Văn Sơn",
    "Nông Thị Thu",
)
OPERATOR = "sim-operator"


@dataclass
class CampaignRun:
    campaign_id: int
    days: int
    captured: int = 0
    visits: int = 0
    activated: int = 0
    by_day: dict[str, int] = field(default_factory=dict)
    citizen: DemoCitizen | None = None


class _WeakLink(httpx.Client):
    """A link that carries small requests but times out on packet uploads (2G from a hilltop)."""

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        if str(url).startswith(INTAKE):
            raise httpx.ReadTimeout("the upload timed out on a weak link")
        response: httpx.Response = super().request(method, url, *args, **kwargs)
        return response


# Each demo kit opens with the demo supervisor's login (the same as on the server's demo pages):
# `civicid field serve --data civicid-data/kits/team-1 --user supervisor`, password demo-supervisor-2025.
DEMO_KIT_SUPERVISOR = setup.FirstSupervisor(KitLogin("supervisor", "demo-supervisor-2025"), "Vàng A Hoà")


@dataclass
class _Team:
    team_id: int
    kit: Kit
    device_id: str
    villages: list[int]
    no_signal: bool  # sent to the villages without signal: evening syncs over a weak link


def simulate_campaign(
    *,
    context: Context,
    commune_code: str,
    days: int = 8,
    per_team_day: int = 18,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> CampaignRun:
    """Run ``days`` calendar days of campaign ending yesterday; the campaign lasts 60 days in all."""
    from civicid.app import create_app
    from civicid.plugins import Plugins

    rng = random.Random(f"civicid-sim/{seed}/campaign")
    today = context.clock.today()
    start = today - dt.timedelta(days=days)
    clock = FixedClock(_local(start, 7, 0), zone=TIME_ZONE)
    server = Context(settings=context.settings, database=context.database, clock=clock)
    pipeline = build_pipeline(server, simulated_extractors())
    with unit_of_work(server.database.sessions) as session:
        campaign = service.create_campaign(
            session=session,
            clock=clock,
            actor=COMMITTEE,
            commune_code=commune_code,
            name=f"Chiến dịch định danh điện tử mức 2 – {start.year}",
            start=start,
            deadline=start + dt.timedelta(days=59),
        )
        # The simulated days lie in the past, but the registry was built today: a village with a child
        # born since the campaign began cannot be worked on a day before that birth (a kit's extract
        # of it would hold someone not born yet). The teams go to the other villages.
        not_born_yet = registry.villages_with_births_after(session, commune_code, start)
        villages = [
            (v, signal) for v, signal in registry.village_signals(session, commune_code) if v not in not_born_yet
        ]
    run = CampaignRun(campaign_id=campaign.id, days=days)
    # The server's app on a loopback port, on the simulation's clock; the kits sync with it over HTTP.
    # Its kits capture simulated biometrics: the server reads them with the simulator's extractors.
    simulated = Plugins(server.settings.model_copy(update={"simulated_biometrics": True}))
    thread = ServerThread(create_app(server, simulated))
    thread.start()
    timeout = httpx.Timeout(60, connect=5)
    try:
        teams = _make_teams(server, campaign, villages, start, rng, thread.url)
        phones = SimulatedPhones(server, commune_code, random.Random(f"civicid-sim/{seed}/phones"))
        with (
            httpx.Client(base_url=thread.url, timeout=timeout) as client,
            _WeakLink(base_url=thread.url, timeout=timeout) as weak,
        ):
            _run_days(
                server,
                _Days(pipeline, campaign, teams, clock, client, weak, start, days, per_team_day, seed, phones),
                run,
                rng,
                progress,
            )
            # This morning the first team synced before setting out: the dashboard shows it synced today.
            _move(clock, max(context.clock.now(), _local(today, 7, 0)))
            KitSync(kit=teams[0].kit, clock=clock, client=client, concurrency=1).run()
            # Accounts issued since (the demo's own enrollment days, approved today) are activated too.
            run.activated = phones.evening(clock.today())
            run.citizen = phones.citizen
    finally:
        thread.stop()
    run.visits = sum(_visits_on(team.kit) for team in teams)
    return run


@dataclass
class _Days:
    pipeline: Pipeline
    campaign: Campaign
    teams: list[_Team]
    clock: FixedClock
    client: httpx.Client
    weak: httpx.Client
    start: dt.date
    days: int
    per_team_day: int
    seed: int
    phones: SimulatedPhones


def _run_days(
    server: Context, d: _Days, run: CampaignRun, rng: random.Random, progress: Callable[[int], None] | None
) -> None:
    """The working days: doors and captures on the kits, evening syncs, the server's pipeline and approvals."""
    pipeline, campaign, teams, clock, client, weak = d.pipeline, d.campaign, d.teams, d.clock, d.client, d.weak
    start, days, per_team_day, seed = d.start, d.days, d.per_team_day, d.seed
    # Set up the evening before: each kit takes its villages' extract while at the commune hall.
    for team in teams:
        KitSync(kit=team.kit, clock=clock, client=client, concurrency=1).run()
    done = 0
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if str(day.weekday()) not in campaign.working_days:
            continue
        _move(clock, _local(day, 7, 30))
        if offset == days // 2:
            _reassign(server, campaign, teams, day)
        rain = rng.random() < 0.25
        count_today = 0
        for index, team in enumerate(teams):
            capacity = max(2, int(per_team_day * (0.5 if rain else 1.0) * rng.uniform(0.8, 1.2)))
            count_today += _work_day(team, clock, capacity, rng, seed * 1000 + offset * 10 + index)
        _move(clock, _local(day, 18, 0))
        # The kits sync at the commune hall every other evening, and before a day off: their
        # guard-rails stop captures after three days without a sync, and each sync takes the
        # villages' whole extract again, the costliest step of the simulation. The team without
        # signal syncs from a hill instead on the last evening: its weak link carries the small
        # status exchange but times out on uploads, so that day's captures wait in the outbox.
        day_off_next = str((day + dt.timedelta(days=1)).weekday()) not in campaign.working_days
        if (days - 1 - offset) % 2 == 0 or day_off_next:
            for team in teams:
                hill = team.no_signal and offset == days - 1
                KitSync(kit=team.kit, clock=clock, client=weak if hill else client, concurrency=1).run()
        build_worker(server, pipeline, name="simulator").run_until_idle()
        _move(clock, _local(day, 19, 0))
        approve_waiting(server, campaign.commune_code, "supervisor")
        build_worker(server, pipeline, name="simulator").run_until_idle()
        # The evening: people activate the accounts issued to them, on their phones (sim/phones.py).
        _move(clock, _local(day, 19, 30))
        run.activated = d.phones.evening(day)
        run.captured += count_today
        run.by_day[day.isoformat()] = count_today
        done += 1
        if progress is not None:
            progress(done)


def _make_teams(
    context: Context,
    campaign: Campaign,
    villages: list[tuple[int, SignalQuality]],
    start: dt.date,
    rng: random.Random,
    server_url: str,
) -> list[_Team]:
    """Four teams with a kit each; the last one takes the villages without signal (two at most)."""
    silent = [v for v, signal in villages if signal is SignalQuality.NONE][:2]
    others = [v for v, _ in villages if v not in silent]
    kits_root = Path(context.settings.data_dir) / "kits"
    teams = []
    for index, (name, *organisations) in enumerate(TEAMS):
        last = index == len(TEAMS) - 1
        # One village each (a kit's extract is its villages'), two for the team that gives one up.
        own = silent if last and silent else others[index :: len(TEAMS)][: 2 if index == 2 else 1]
        if not own and others:  # a small commune: teams share its villages
            own = [others[index % len(others)]]
        with unit_of_work(context.database.sessions) as session:
            content, passphrase, device_id = enrollment_file.make_enrollment_file(
                session=session,
                clock=context.clock,
                actor=SIMULATOR,
                commune_code=campaign.commune_code,
                server_url=server_url,
                sealing_key=keystore_of(context).sealing_public_key(),
            )
            team = service.create_team(
                session=session,
                clock=context.clock,
                actor=COMMITTEE,
                campaign_id=campaign.id,
                name=name,
                device_id=device_id,
            )
            # Each member a different person: one name is one member of a team.
            for organisation, member in zip(organisations, rng.sample(MEMBER_NAMES, len(organisations)), strict=True):
                service.add_member(
                    session=session,
                    clock=context.clock,
                    actor=COMMITTEE,
                    team_id=team.id,
                    name=member,
                    organisation=organisation,
                )
            if own:
                assign(
                    session=session,
                    clock=context.clock,
                    actor=COMMITTEE,
                    team_id=team.id,
                    start=start,
                    end=campaign.deadline,
                    village_ids=own,
                )
        root = kits_root / f"team-{index + 1}"
        setup.enroll_from_file(
            root=root, clock=context.clock, data=content, passphrase=passphrase, supervisor=DEMO_KIT_SUPERVISOR
        )
        teams.append(
            _Team(
                team.id,
                Kit.open(root, DEMO_KIT_SUPERVISOR.login),
                device_id,
                list(own),
                no_signal=last and bool(silent),
            )
        )
    return teams


def _reassign(context: Context, campaign: Campaign, teams: list[_Team], day: dt.date) -> None:
    """The committee moves the third team's last village to the first team (the old kit loses it)."""
    giver, taker = teams[2], teams[0]
    if len(giver.villages) < 2:
        return
    village = giver.villages.pop()
    with unit_of_work(context.database.sessions) as session:
        assign(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            team_id=taker.team_id,
            start=day,
            end=campaign.deadline,
            village_ids=[village],
        )
    taker.villages.append(village)


def _work_day(team: _Team, clock: FixedClock, capacity: int, rng: random.Random, seed: int) -> int:
    """A day's doors on the kit: a few nobody-home, refusal and no-smartphone notes, then the captures."""
    with team.kit.transaction() as session:
        households = list(
            session.scalars(
                select(KitHousehold.id).where(KitHousehold.village_id.in_(team.villages)).order_by(KitHousehold.id)
            )
        )
        visited = _visited_households(session)
        doors = [h for h in households if h not in visited][: max(1, capacity // 2)]
        for household_id in doors:
            roll = rng.random()
            clock.advance(dt.timedelta(minutes=rng.randint(6, 14)))
            if roll < 0.12:
                record_visit(
                    session=session,
                    clock=clock,
                    household_id=household_id,
                    person_id=None,
                    outcome=VisitOutcome.ABSENT,
                    operator=OPERATOR,
                )
            elif roll < 0.14:
                record_visit(
                    session=session,
                    clock=clock,
                    household_id=household_id,
                    person_id=None,
                    outcome=VisitOutcome.REFUSED,
                    operator=OPERATOR,
                )
            else:
                without = session.scalars(
                    select(KitPerson.id).where(
                        KitPerson.household_id == household_id, KitPerson.has_smartphone.is_(False)
                    )
                ).first()
                if without is not None and rng.random() < 0.3:
                    record_visit(
                        session=session,
                        clock=clock,
                        household_id=household_id,
                        person_id=without,
                        outcome=VisitOutcome.NO_SMARTPHONE,
                        operator=OPERATOR,
                    )
    day = capture_from_sim(kit=team.kit, clock=clock, count=capacity, operator=OPERATOR, photos=False, seed=seed)
    return len(day.captured)


def _visited_households(session: Session) -> set[int]:
    return set(session.scalars(select(KitVisit.household_id)))


def _visits_on(kit: Kit) -> int:
    with kit.transaction() as session:
        return len(session.scalars(select(KitVisit.id)).all())


def _move(clock: FixedClock, at: dt.datetime) -> None:
    """Move the simulated clock forward to ``at`` (it never goes back)."""
    if at > clock.now():
        clock.advance(at - clock.now())


def _local(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TIME_ZONE)


__all__ = ["CampaignRun", "simulate_campaign"]
