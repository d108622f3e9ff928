"""Campaign dashboard and report latency on a province-sized data set (PostgreSQL).

    python -m bench.campaign_dashboard --people 3000000 --communes 100 --days 60

Loads ``--communes`` synthetic communes of ``people / communes`` residents each (registry/bulk.py),
a campaign per commune, and about one level-2 application per adult spread over ``--days`` campaign
days with a realistic mix of statuses (set-based INSERT … SELECT: the pipeline is benchmarked in
bench/enrollment_pipeline.py). Then it times the commune page's queries (every figure with the
per-day cells, plus one village's missing list) and the province report (every commune's figures),
each beside a baseline measured in the same run: a bare ``count(*)`` of the same rows.
Targets (issue 5): p95 under 200 ms for a commune page, under 2 s for the province report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from sqlalchemy import Engine, select, text

from bench.figures import Report, latencies_ms
from civicid.campaign import service
from civicid.campaign.figures import campaign_figures, province_figures
from civicid.campaign.missing import missing_people
from civicid.campaign.models import Campaign
from civicid.core import migrate
from civicid.core.audit import Actor
from civicid.core.clock import VIETNAM_TZ, FixedClock
from civicid.core.database import make_engine, make_session_factory, unit_of_work
from civicid.country import admin_units
from civicid.registry.bulk import load_population
from civicid.registry.models import Village
from civicid.sim.population import generate_commune

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
ACTOR = Actor("system", "bench")
NOW = dt.datetime(2026, 12, 30, 18, 0, tzinfo=VIETNAM_TZ)


def _database(name: str) -> Engine:
    admin = make_engine(POSTGRES_ADMIN.replace("postgresql://", "postgresql+psycopg://"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    migrate.upgrade(engine)
    return engine


def _load(engine: Engine, people: int, communes: int, days: int, seed: int) -> dict[str, float]:
    sessions = make_session_factory(engine)
    clock = FixedClock(NOW)
    start_day = NOW.date() - dt.timedelta(days=days - 1)
    codes = [c.code for c in admin_units.list_communes("19")][:communes]  # Thái Nguyên's communes
    if len(codes) < communes:
        codes += [c.code for c in admin_units.list_communes()][: communes - len(codes)]
    started = time.perf_counter()
    for index, code in enumerate(codes):
        commune = generate_commune(
            seed=seed + index, people=people // communes, commune_code=code, reference_date=start_day
        )
        with unit_of_work(sessions) as session:
            load_population(session=session, clock=clock, actor=ACTOR, commune=commune)
            service.create_campaign(
                session=session,
                clock=clock,
                actor=ACTOR,
                commune_code=code,
                name="Level 2",
                start=start_day,
                deadline=start_day + dt.timedelta(days=89),
            )
    loaded = time.perf_counter() - started
    # One application per adult with a phone, captured on one of the campaign days, most issued.
    with engine.begin() as connection:
        connection.execute(
            text(
                """
                INSERT INTO application (id, envelope_jws, envelope_hash, application_type, id_number,
                    commune_code, village_id, device_id, operator, captured_at, received_at, status, person_id,
                    decided_at, change_seq)
                SELECT md5(p.id::text), '', '', 'level2', p.id_number, v.commune_code, p.village_id,
                    'kit-' || v.commune_code || '-' || (p.village_id % 4), 'operator',
                    :start + (p.id % :days) * interval '1 day' + interval '2 hours',
                    :start + (p.id % :days) * interval '1 day' + interval '3 hours',
                    CASE WHEN p.id % 20 = 0 THEN 'awaiting_approval' WHEN p.id % 50 = 1 THEN 'needs_correction'
                         ELSE 'issued' END,
                    p.id, :start + (p.id % :days) * interval '1 day' + interval '10 hours', 0
                FROM person p JOIN village v ON v.id = p.village_id
                WHERE p.phone IS NOT NULL AND p.date_of_birth <= :adult AND p.id % 10 < 8
                """
            ),
            {
                "start": dt.datetime.combine(start_day, dt.time(), tzinfo=dt.UTC),
                "days": days,
                "adult": start_day.replace(year=start_day.year - 14),
            },
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return {"load_s": loaded}


def run(people: int, communes: int, days: int, queries: int, seed: int) -> Report:
    engine = _database("civicid_bench_campaign")
    load = _load(engine, people, communes, days, seed)
    sessions = make_session_factory(engine)
    clock = FixedClock(NOW)
    with unit_of_work(sessions) as session:
        campaigns = list(session.scalars(select(Campaign).order_by(Campaign.commune_code)))
        villages = {
            c.commune_code: session.scalars(select(Village.id).where(Village.commune_code == c.commune_code)).first()
            for c in campaigns
        }
        applications = session.scalar(text("SELECT count(*) FROM application")) or 0
    report = Report("campaign_dashboard")
    report.context = {
        "persons": people,
        "communes": len(campaigns),
        "campaign_days": days,
        "applications": applications,
        "database": "postgresql",
        **load,
    }

    def commune_page(i: int) -> None:
        campaign = campaigns[i % len(campaigns)]
        with unit_of_work(sessions) as session:
            campaign_figures(session=session, clock=clock, campaign=campaign)

    def missing_list(i: int) -> None:
        campaign = campaigns[i % len(campaigns)]
        with unit_of_work(sessions) as session:
            missing_people(session=session, clock=clock, actor=ACTOR, village_id=villages[campaign.commune_code] or 0)

    def commune_count(i: int) -> None:
        with unit_of_work(sessions) as session:
            session.execute(
                text("SELECT count(*) FROM application WHERE commune_code = :c"),
                {"c": campaigns[i % len(campaigns)].commune_code},
            )

    def province_report(_: int) -> None:
        with unit_of_work(sessions) as session:
            province_figures(session=session, clock=clock, campaigns=campaigns)

    def province_count(_: int) -> None:
        with unit_of_work(sessions) as session:
            session.execute(text("SELECT count(*) FROM application"))

    commune_page(0)
    report.add_latencies(
        "commune page figures",
        latencies_ms(commune_page, queries),
        baseline=latencies_ms(commune_count, queries),
        target="< 200 ms",
    )
    report.add_latencies(
        "village missing list",
        latencies_ms(missing_list, queries),
        baseline=latencies_ms(commune_count, queries),
        target="< 200 ms",
    )
    rounds = max(5, queries // 20)
    report.add_latencies(
        "province report",
        latencies_ms(province_report, rounds),
        baseline=latencies_ms(province_count, rounds),
        target="< 2 s",
    )
    engine.dispose()
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3_000_000)
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    report = run(args.people, args.communes, args.days, args.queries, args.seed)
    report.print()
    report.save()


if __name__ == "__main__":
    main()
