"""Campaign dashboard and report latency on a province-sized data set (PostgreSQL).

    python -m bench.campaign_dashboard --people 3000000 --communes 100 --days 60
    python -m bench.campaign_dashboard --reuse      # time again without loading

Loads ``--communes`` synthetic communes of ``people / communes`` residents each (registry/bulk.py;
each commune draws its ID numbers from its own serial block), a campaign per commune, about one
level-2 application per adult with a phone spread over ``--days`` campaign days with a mix of
statuses, and one visit per household (two for the absent), set-based in SQL: the pipeline is
benchmarked in bench/enrollment_pipeline.py, this measures reads. The tallies are then built
(decision 0011). It times, each beside a baseline measured in the same run:

- the commune page as served (``GET /campaign``: figures with per-day cells, charts, HTML), beside a
  bare ``count(*)`` of the commune's applications (the records the figures describe);
- the same page when 100 applications changed since the last view (the tally's incremental path);
- one village's missing list; the province report (every commune's figures) beside ``count(*)`` of
  every application.

Targets (issue 5): p95 under 200 ms for a commune page, under 2 s for the province report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from starlette.testclient import TestClient

from bench.figures import Report, console, latencies_ms
from civicid.app import create_app
from civicid.campaign import service, tally
from civicid.campaign.figures import province_figures
from civicid.campaign.missing import missing_people
from civicid.campaign.models import Campaign
from civicid.core import migrate
from civicid.core.audit import Actor
from civicid.core.clock import FixedClock
from civicid.core.database import make_engine, make_session_factory, unit_of_work
from civicid.core.runtime import Context, Database
from civicid.core.settings import Settings
from civicid.country import admin_units
from civicid.country.zone import TIME_ZONE
from civicid.registry import service as registry
from civicid.registry.bulk import load_population
from civicid.registry.models import GuardianLink, Household, IdCard, Person, Village
from civicid.schema import metadata
from civicid.sim.population import generate_commune
from civicid.web.serving import freeze_startup_objects
from civicid.web.staff import StaffRole
from civicid.web.staff_service import create_staff

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "civicid_bench_campaign"
ACTOR = Actor("system", "bench")
NOW = dt.datetime(2026, 12, 30, 18, 0, tzinfo=TIME_ZONE)
PASSWORD = "bench-password-committee"  # noqa: S105 (a throwaway account in the bench database)
CHANGES_PER_VIEW = 100


def _database(*, reuse: bool) -> tuple[Engine, bool]:
    """The bench database, and whether it is already loaded (``--reuse`` and a finished load)."""
    admin = make_engine(POSTGRES_ADMIN.replace("postgresql://", "postgresql+psycopg://"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": BENCH_DATABASE}).first()
        if not (reuse and exists):
            connection.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{BENCH_DATABASE}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        loaded = connection.execute(text("SELECT count(*) FROM staff_account WHERE username = 'bench.committee'"))
        return engine, bool(reuse and loaded.scalar())


def _communes(count: int) -> list[str]:
    codes = [c.code for c in admin_units.list_communes("19")][:count]  # Thái Nguyên's communes
    if len(codes) < count:
        codes += [c.code for c in admin_units.list_communes() if c.code not in codes][: count - len(codes)]
    return codes


# Id offsets of the k-th copy of the template commune (its ids all lie below them).
OFFSETS = {
    "village": 1_000,
    "household": 100_000,
    "person": 1_000_000,
    "id_card": 1_000_000,
    "guardian_link": 1_000_000,
}
SERIAL_BLOCK = 10_000  # serials per commune and (province, year, sex): 100 blocks of the 10**6


def _shifted(column: str) -> str:
    """A 12-digit ID number moved into the k-th commune's serial block (``:k`` bound)."""
    return (
        f"CASE WHEN length({column}) = 12 THEN left({column}, 6) || "
        f"lpad((right({column}, 6)::int + :k * {SERIAL_BLOCK})::text, 6, '0') ELSE {column} END"
    )


def _clone(connection: Any, k: int, code: str) -> None:
    """The template commune's villages, households, persons, cards and links again, as commune ``code``.

    Ids move by ``k`` times :data:`OFFSETS`; ID numbers into serial block ``k``, so they stay unique.
    """
    subs = {
        "village": {"id": "id + :k * 1000", "commune_code": ":code"},
        "household": {"id": "id + :k * 100000", "village_id": "village_id + :k * 1000"},
        "person": {
            "id": "id + :k * 1000000",
            "household_id": "household_id + :k * 100000",
            "village_id": "village_id + :k * 1000",
            "id_number": _shifted("id_number"),
        },
        "id_card": {"id": "id + :k * 1000000", "person_id": "person_id + :k * 1000000", "number": _shifted("number")},
        "guardian_link": {
            "id": "id + :k * 1000000",
            "child_id": "child_id + :k * 1000000",
            "guardian_id": "guardian_id + :k * 1000000",
        },
    }
    for table, columns in (
        ("village", [c.name for c in Village.__table__.columns]),
        ("household", [c.name for c in Household.__table__.columns]),
        ("person", [c.name for c in Person.__table__.columns]),
        ("id_card", [c.name for c in IdCard.__table__.columns]),
        ("guardian_link", [c.name for c in GuardianLink.__table__.columns]),
    ):
        exprs = ", ".join(subs[table].get(c, c) for c in columns)
        # Names from the models, not from input.
        statement = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {exprs} FROM {table} WHERE id < :limit"  # noqa: S608
        connection.execute(text(statement), {"k": k, "code": code, "limit": OFFSETS[table]})


TRIGGERED = ("person", "id_card", "eid_account")  # the tables whose triggers keep campaign tallies (0006)


def _triggers(engine: Engine, *, enabled: bool) -> None:
    """Switch the tallies' triggers off for the bulk load, and on again before they are rebuilt set-based.

    Row by row, the triggers would recount each of the 3,000,000 residents and their cards as they
    are inserted; ``tally.rebuild_card_gaps`` and ``rebuild_activations`` do it in one statement each.
    """
    with engine.begin() as connection:
        for table in TRIGGERED:
            connection.execute(text(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER"))


def _load(engine: Engine, people: int, communes: int, days: int, seed: int, distinct: bool) -> dict[str, float]:
    sessions = make_session_factory(engine)
    clock = FixedClock(NOW, zone=TIME_ZONE)
    start_day = NOW.date() - dt.timedelta(days=days - 1)
    codes = _communes(communes)
    if len(codes) > 1_000_000 // SERIAL_BLOCK:
        raise SystemExit(f"at most {1_000_000 // SERIAL_BLOCK} communes")
    started = time.perf_counter()
    _triggers(engine, enabled=False)
    for index, code in enumerate(codes):
        with unit_of_work(sessions) as session:
            if index == 0 or distinct:
                # Each commune its own block of every serial range: ID numbers never collide across communes.
                commune = generate_commune(
                    seed=seed + index,
                    people=people // communes,
                    commune_code=code,
                    reference_date=start_day,
                    serial_block=index,
                    serial_blocks=1_000_000 // SERIAL_BLOCK,
                )
                load_population(session=session, clock=clock, actor=ACTOR, commune=commune)
            else:
                # The first commune again under another code: the same shape, its own ids and ID numbers.
                unit = admin_units.get_commune(code)
                registry.add_commune(session=session, code=unit.code)
                session.flush()
                _clone(session.connection(), index, code)
            service.create_campaign(
                session=session,
                clock=clock,
                actor=ACTOR,
                commune_code=code,
                name="Level 2",
                start=start_day,
                deadline=start_day + dt.timedelta(days=89),
            )
        if index % 10 == 9:
            console.print(f"  {index + 1} communes loaded, {time.perf_counter() - started:.0f} s")
    with engine.begin() as connection:
        for table in OFFSETS:
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
            )
    registry_s = time.perf_counter() - started
    started = time.perf_counter()
    params = {
        "start": dt.datetime.combine(start_day, dt.time(), tzinfo=dt.UTC),
        "days": days,
        "adult": start_day.replace(year=start_day.year - 14),
    }
    with engine.begin() as connection:
        # One application per adult with a phone (80 %), captured on one of the campaign days by the
        # village's kit, most issued; numbered like the pipeline numbers its changes.
        connection.execute(
            text(
                """
                INSERT INTO application (id, envelope_jws, envelope_hash, application_type, id_number,
                    commune_code, village_id, device_id, operator, captured_at, received_at, status, person_id,
                    decided_at, change_seq, receipt_code)
                SELECT md5(p.id::text), '', '', 'level2', p.id_number, v.commune_code, p.village_id,
                    'kit-' || v.commune_code || '-' || (p.village_id % 4), 'operator',
                    :start + (p.id % :days) * interval '1 day' + interval '2 hours',
                    :start + (p.id % :days) * interval '1 day' + interval '3 hours',
                    CASE WHEN p.id % 20 = 0 THEN 'awaiting_approval' WHEN p.id % 50 = 1 THEN 'needs_correction'
                         ELSE 'issued' END,
                    p.id, :start + (p.id % :days) * interval '1 day' + interval '10 hours',
                    row_number() OVER (ORDER BY p.id),
                    -- receipt-shaped (XXXX-XXXX, migration 0010); the dashboard never reads it
                    upper(substr(md5(p.id::text), 1, 4) || '-' || substr(md5(p.id::text), 5, 4))
                FROM person p JOIN village v ON v.id = p.village_id
                WHERE p.phone IS NOT NULL AND p.date_of_birth <= :adult AND p.id % 10 < 8
                """
            ),
            params,
        )
        _accounts(connection, NOW)
        connection.execute(
            text(
                "INSERT INTO change_counter (name, value) SELECT 'application', coalesce(max(change_seq), 0) "
                "FROM application ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            )
        )
        # One visit per household on a campaign day; the absent (12 %) visited again two days later.
        visit = """
            INSERT INTO campaign_visit (id, device_id, operator, household_id, village_id, person_id, outcome,
                note, visited_at, received_at)
            SELECT md5(:tag || h.id)::uuid::text, 'kit-' || v.commune_code || '-' || (h.village_id % 4), 'operator',
                h.id, h.village_id, NULL, {outcome}, NULL,
                :start + ((h.id + {shift}) % :days) * interval '1 day' + interval '2 hours',
                :start + ((h.id + {shift}) % :days) * interval '1 day' + interval '4 hours'
            FROM household h JOIN village v ON v.id = h.village_id
            {where}
        """
        first = (
            "CASE WHEN h.id % 25 < 3 THEN 'absent' WHEN h.id % 50 = 3 THEN 'refused' "
            "WHEN h.id % 50 < 8 THEN 'no_smartphone' ELSE 'done' END"
        )
        connection.execute(text(visit.format(outcome=first, shift=0, where="")), {**params, "tag": "a"})
        connection.execute(
            text(visit.format(outcome="'done'", shift=2, where="WHERE h.id % 25 < 3")), {**params, "tag": "b"}
        )
    _triggers(engine, enabled=True)
    with unit_of_work(sessions) as session:
        tally.refresh_applications(session=session, clock=clock)
        tally.rebuild_visits(session=session)
        tally.rebuild_activations(session=session)
        tally.rebuild_card_gaps(session=session)
        create_staff(
            session=session,
            clock=clock,
            username="bench.committee",
            password=PASSWORD,
            role=StaffRole.COMMITTEE,
        )
    records_s = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return {"registry_load_s": round(registry_s, 1), "records_and_tallies_s": round(records_s, 1)}


# Of the issued accounts, the share activated one to five days after issue (issuing is not activating).
ACTIVATED_SHARE = 0.6


def _accounts(connection: Any, now: dt.datetime) -> None:
    """A level-2 account for every issued application; about 60 % activated by ``now``, days after issue.

    Idempotent (one account per person), so ``python -m bench.campaign_dashboard --reuse`` can add
    the accounts to a set loaded before they were part of it (:func:`_complete`).
    """
    connection.execute(
        text(
            """
            INSERT INTO eid_account (id, person_id, id_number, phone, level, status, issued_at, activated_at,
                issued_from, updated_at)
            SELECT md5('account' || a.id)::uuid::text, a.person_id, a.id_number, NULL, 2,
                CASE WHEN x.activated_at IS NULL THEN 'pending_activation' ELSE 'active' END,
                a.decided_at, x.activated_at, 'application:' || a.id, coalesce(x.activated_at, a.decided_at)
            FROM application a
            CROSS JOIN LATERAL (
                SELECT CASE WHEN a.person_id % 100 < :share
                            AND a.decided_at + (1 + a.person_id % 5) * interval '1 day' <= :now
                       THEN a.decided_at + (1 + a.person_id % 5) * interval '1 day' END AS activated_at
            ) x
            WHERE a.status = 'issued' AND a.application_type = 'level2'
            ON CONFLICT (person_id) DO NOTHING
            """
        ),
        {"share": round(ACTIVATED_SHARE * 100), "now": now},
    )


def _complete(engine: Engine) -> None:
    """Bring a set loaded by an earlier version of this bench up to this one's data model.

    The accounts (:func:`_accounts`) are added if missing; tables the migrations recorded as
    applied while they were still empty placeholders are created empty.
    """
    metadata.create_all(engine, checkfirst=True)
    with engine.begin() as connection:
        if connection.execute(text("SELECT count(*) FROM eid_account")).scalar():
            return
        console.print("  adding the accounts to the loaded set")
        _accounts(connection, NOW)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE eid_account"))


def _change(engine: Engine, commune_code: str, count: int, round_: int) -> None:
    """``count`` applications of the commune change status, numbered like the pipeline's changes.

    The numbers are the counter's last ``count`` (the row number is taken after the offset: taken
    before it, as until 2026-11-29, it numbered changes above the counter, so every other view
    counted none and the next one two rounds).
    """
    with engine.begin() as connection:
        last = connection.execute(
            text("UPDATE change_counter SET value = value + :n WHERE name = 'application' RETURNING value"),
            {"n": count},
        ).scalar_one()
        connection.execute(
            text(
                """
                UPDATE application a SET
                    status = CASE WHEN a.status = 'issued' THEN 'awaiting_approval' ELSE 'issued' END,
                    change_seq = :last - :n + c.k
                FROM (SELECT id, row_number() OVER (ORDER BY id) AS k
                      FROM (SELECT id FROM application WHERE commune_code = :commune
                            ORDER BY id OFFSET :offset LIMIT :n) chosen) c
                WHERE a.id = c.id
                """
            ),
            {"last": last, "n": count, "commune": commune_code, "offset": (round_ * count) % 5000},
        )


def run(people: int, communes: int, days: int, queries: int, seed: int, reuse: bool, distinct: bool) -> Report:
    engine, loaded = _database(reuse=reuse)
    load: dict[str, float] = {"reused": 1} if loaded else _load(engine, people, communes, days, seed, distinct)
    if loaded:
        _complete(engine)
    sessions = make_session_factory(engine)
    clock = FixedClock(NOW, zone=TIME_ZONE)
    with unit_of_work(sessions) as session:
        campaigns = list(session.scalars(select(Campaign).order_by(Campaign.commune_code)))
        villages = {
            c.commune_code: session.scalars(select(Village.id).where(Village.commune_code == c.commune_code)).first()
            for c in campaigns
        }
        counts = session.execute(
            text(
                "SELECT (SELECT count(*) FROM person), (SELECT count(*) FROM application), "
                "(SELECT count(*) FROM campaign_visit), (SELECT count(*) FROM campaign_application_cell), "
                "(SELECT count(*) FROM eid_account WHERE activated_at IS NOT NULL)"
            )
        ).one()
    report = Report("campaign_dashboard")
    report.context = {
        "persons": counts[0],
        "communes": len(campaigns),
        "campaign_days": days,
        "applications": counts[1],
        "visits": counts[2],
        "application_cells": counts[3],
        "accounts_activated": counts[4],
        "database": "postgresql",
        **load,
    }
    workdir = Path(tempfile.mkdtemp(prefix="civicid-bench-campaign-"))
    url = engine.url.render_as_string(hide_password=False)
    context = Context(
        settings=Settings(data_dir=workdir, database_url=url, simulated_biometrics=True),
        database=Database(engine=engine, sessions=sessions),
        clock=clock,
    )
    app = create_app(context)
    freeze_startup_objects()  # as run_server does before serving: the page "as served"
    client = TestClient(app)
    response = client.post("/api/v1/auth/login", json={"username": "bench.committee", "password": PASSWORD})
    response.raise_for_status()

    def commune_page(i: int) -> None:
        page = client.get("/campaign", params={"commune": campaigns[i % len(campaigns)].commune_code})
        page.raise_for_status()

    def commune_count(i: int) -> None:
        with unit_of_work(sessions) as session:
            session.execute(
                text("SELECT count(*) FROM application WHERE commune_code = :c"),
                {"c": campaigns[i % len(campaigns)].commune_code},
            )

    def missing_list(i: int) -> None:
        campaign = campaigns[i % len(campaigns)]
        with unit_of_work(sessions) as session:
            missing_people(session=session, clock=clock, actor=ACTOR, village_id=villages[campaign.commune_code] or 0)

    def province_report(_: int) -> None:
        with unit_of_work(sessions) as session:
            province_figures(session=session, clock=clock, campaigns=campaigns)

    def province_count(_: int) -> None:
        with unit_of_work(sessions) as session:
            session.execute(text("SELECT count(*) FROM application"))

    commune_page(0)  # warm the app, the templates and the connection pool
    report.add_latencies(
        "commune page (GET /campaign)",
        latencies_ms(commune_page, queries),
        baseline=latencies_ms(commune_count, queries),
        target="< 200 ms",
    )
    after_changes: list[float] = []
    for i in range(queries // 2):
        code = campaigns[i % len(campaigns)].commune_code
        _change(engine, code, CHANGES_PER_VIEW, i)
        after_changes.extend(latencies_ms(lambda _, i=i: commune_page(i), 1))
    report.add_latencies(
        f"commune page, {CHANGES_PER_VIEW} changes to count",
        after_changes,
        baseline=latencies_ms(commune_count, queries // 2),
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
        "province report (every commune)",
        latencies_ms(province_report, rounds),
        baseline=latencies_ms(province_count, rounds),
        target="< 2 s",
    )
    client.close()
    engine.dispose()
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3_000_000)
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="time the database a previous run loaded, if it finished")
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="generate every commune through the bulk loader (slow) instead of copying the first one in SQL",
    )
    args = parser.parse_args(argv)
    report = run(args.people, args.communes, args.days, args.queries, args.seed, args.reuse, args.distinct)
    report.print()
    report.save()


if __name__ == "__main__":
    main()
