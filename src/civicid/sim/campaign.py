"""A simulated campaign over several weeks, for the demo and the dashboard's tests.

Teams from the commune police, the Youth Union, the Women's Union, village heads and local security
carry field kits from village to village. Each working day has weather (rain halves the work), each
village its signal (without signal, captures wait in the kit until the next day's sync), each door
its outcome (absent, refused, no smartphone). Captures go through the real packet, intake and
pipeline; visits through :func:`civicid.campaign.visits.record_visits`; the supervisor approves at
the end of each day, and a reassignment mid-campaign moves a village between teams.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.campaign import service
from civicid.campaign.assignments import assign
from civicid.campaign.kits import record_kit_sync
from civicid.campaign.models import Campaign, Organisation
from civicid.campaign.visits import VisitOutcome, VisitReport, record_visits
from civicid.core.audit import Actor
from civicid.core.clock import VIETNAM_TZ, FixedClock
from civicid.core.database import unit_of_work
from civicid.core.ids import uuid7
from civicid.core.runtime import Context
from civicid.country.age import latest_birth_date
from civicid.enrollment.packet import Packet
from civicid.enrollment.runtime import build_pipeline, build_worker, keystore_of
from civicid.enrollment.tasks import Pipeline
from civicid.registry import service as registry
from civicid.registry.models import Person, ResidenceStatus, SignalQuality, Village
from civicid.sim.captures import SimulatedKit, deliver, sample_documents
from civicid.sim.enrollment import approve_waiting

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


@dataclass
class CampaignRun:
    campaign_id: int
    days: int
    captured: int = 0
    visits: int = 0
    by_day: dict[str, int] = field(default_factory=dict)


@dataclass
class _Team:
    team_id: int
    kit: SimulatedKit
    villages: list[int]
    held: list[Packet] = field(default_factory=list)  # captured without signal: synced tomorrow


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
    rng = random.Random(f"civicid-sim/{seed}/campaign")
    today = context.clock.today()
    start = today - dt.timedelta(days=days)
    pipeline = build_pipeline(context)
    server = keystore_of(context).sealing_public_key()
    with unit_of_work(context.database.sessions) as session:
        campaign = service.create_campaign(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            commune_code=commune_code,
            name=f"Chiến dịch định danh điện tử mức 2 – {start.year}",
            start=start,
            deadline=start + dt.timedelta(days=59),
        )
        villages = session.execute(
            select(Village.id, Village.signal).where(Village.commune_code == commune_code).order_by(Village.distance_km)
        ).all()
        teams = _make_teams(session, context, campaign, [v for v, _ in villages], start, rng)
    signal = {v: s for v, s in villages}
    run = CampaignRun(campaign_id=campaign.id, days=days)
    people = _people_by_village(context, commune_code, rng)
    done = 0
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if str(day.weekday()) not in campaign.working_days:
            continue
        if offset == days // 2:
            _reassign(context, campaign, teams, day)
        rain = rng.random() < 0.25
        count_today = 0
        for team in teams:
            count_today += _work_day(context, pipeline, server, team, day, people, signal, rain, rng, per_team_day)
        run.captured += count_today
        run.by_day[day.isoformat()] = count_today
        build_worker(context, pipeline, name="simulator").run_until_idle()
        approve_waiting(context, commune_code, "supervisor")
        build_worker(context, pipeline, name="simulator").run_until_idle()
        done += 1
        if progress is not None:
            progress(done)
    return run


def _make_teams(
    session: Session, context: Context, campaign: Campaign, villages: list[int], start: dt.date, rng: random.Random
) -> list[_Team]:
    teams = []
    for index, (name, *organisations) in enumerate(TEAMS):
        kit = SimulatedKit.register(
            session=session,
            clock=context.clock,
            actor=SIMULATOR,
            commune_code=campaign.commune_code,
            operator=f"operator.{index + 1}",
        )
        team = service.create_team(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            campaign_id=campaign.id,
            name=name,
            device_id=kit.device_id,
        )
        for organisation in organisations:
            service.add_member(
                session=session,
                clock=context.clock,
                actor=COMMITTEE,
                team_id=team.id,
                name=rng.choice(MEMBER_NAMES),
                organisation=organisation,
            )
        own = villages[index :: len(TEAMS)][:3]
        assign(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            team_id=team.id,
            start=start,
            end=campaign.deadline,
            village_ids=own,
        )
        teams.append(_Team(team.id, kit, own))
    return teams


def _reassign(context: Context, campaign: Campaign, teams: list[_Team], day: dt.date) -> None:
    """The committee moves the slowest team's last village to the first team."""
    giver, taker = teams[-1], teams[0]
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


def _people_by_village(
    context: Context, commune_code: str, rng: random.Random
) -> dict[int, list[tuple[int, int, bool, bool]]]:
    """(person, household, has a phone, has a smartphone) of adults present, shuffled per village."""
    born_by = latest_birth_date(context.clock.today(), 14)
    with unit_of_work(context.database.sessions) as session:
        rows = session.execute(
            select(Person.id, Person.household_id, Person.village_id, Person.phone, Person.has_smartphone)
            .join(Village, Village.id == Person.village_id)
            .where(
                Village.commune_code == commune_code,
                Person.date_of_birth <= born_by,
                Person.residence_status == ResidenceStatus.PRESENT,
            )
            .order_by(Person.id)
        ).all()
    by_village: dict[int, list[tuple[int, int, bool, bool]]] = {}
    for person_id, household_id, village_id, phone, smartphone in rows:
        by_village.setdefault(village_id, []).append((person_id, household_id, phone is not None, bool(smartphone)))
    for people in by_village.values():
        people.sort(key=lambda p: p[1])  # door to door: household by household
    return by_village


def _work_day(
    context: Context,
    pipeline: Pipeline,
    server: X25519PublicKey,
    team: _Team,
    day: dt.date,
    people: dict[int, list[tuple[int, int, bool, bool]]],
    signal: dict[int, SignalQuality],
    rain: bool,
    rng: random.Random,
    per_team_day: int,
) -> int:
    village = next((v for v in team.villages if people.get(v)), None)
    if village is None:
        return 0
    capacity = max(2, int(per_team_day * (0.5 if rain else 1.0) * rng.uniform(0.8, 1.2)))
    minute = 0
    captures: list[Packet] = []
    visits: list[VisitReport] = []
    household_outcome: dict[int, VisitOutcome] = {}
    queue = people[village]
    while queue and len(captures) < capacity:
        person_id, household_id, has_phone, smartphone = queue.pop(0)
        minute += rng.randint(6, 14)
        at = _at(day, minute)
        if household_id not in household_outcome:
            roll = rng.random()
            household_outcome[household_id] = (
                VisitOutcome.ABSENT if roll < 0.12 else VisitOutcome.REFUSED if roll < 0.14 else VisitOutcome.DONE
            )
            if household_outcome[household_id] is not VisitOutcome.DONE:
                visits.append(_visit(team, household_id, None, household_outcome[household_id], at))
        if household_outcome[household_id] is not VisitOutcome.DONE:
            continue
        if not has_phone or (not smartphone and rng.random() < 0.5):
            visits.append(_visit(team, household_id, person_id, VisitOutcome.NO_SMARTPHONE, at))
            continue
        with unit_of_work(context.database.sessions) as session:
            person = registry.get_person(session=session, clock=context.clock, actor=SIMULATOR, person_id=person_id)
        captures.append(
            team.kit.capture(
                person=person, clock=FixedClock(at), server_public_key=server, documents=sample_documents(person)
            )
        )
        visits.append(_visit(team, household_id, person_id, VisitOutcome.DONE, at))
    no_signal = signal.get(village) is SignalQuality.NONE
    send = team.held + ([] if no_signal else captures)
    team.held = captures if no_signal else []
    for packet in send:
        with unit_of_work(context.database.sessions) as session:
            deliver(session=session, clock=context.clock, blobs=pipeline.blobs, packet=packet)
    with unit_of_work(context.database.sessions) as session:
        record_visits(session=session, clock=context.clock, reports=visits)
        oldest = min((p.envelope.captured_at for p in team.held), default=None)
        record_kit_sync(
            session=session,
            clock=context.clock,
            device_id=team.kit.device_id,
            pending_captures=len(team.held),
            oldest_unsent_at=oldest,
        )
    return len(captures)


def _visit(
    team: _Team, household_id: int, person_id: int | None, outcome: VisitOutcome, at: dt.datetime
) -> VisitReport:
    return VisitReport(
        id=str(uuid7(int(at.timestamp() * 1000))),
        device_id=team.kit.device_id,
        operator=team.kit.operator,
        household_id=household_id,
        person_id=person_id,
        outcome=outcome,
        note=None,
        visited_at=at,
    )


def _at(day: dt.date, minute: int) -> dt.datetime:
    return (dt.datetime.combine(day, dt.time(7, 30), tzinfo=VIETNAM_TZ) + dt.timedelta(minutes=minute)).astimezone(
        dt.UTC
    )
