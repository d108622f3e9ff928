"""Registry at national scale: load 1,000,000 persons, then search by ID number and by name.

Targets (issue 2): search by ID number p95 < 5 ms and by diacritic-free name p95 < 50 ms at
1,000,000 persons, on SQLite and on PostgreSQL. Issue 17 adds search by any word of the name
("thang", "van thang"): the same target, measured on the given name alone and on the middle and
given names (decision 0071). Searches go through ``registry.service`` exactly as
the API does: one transaction each, with the audit entry that every search writes.

Baselines measured in the same run: for loading, a raw DBAPI ``executemany`` of the same kind of rows
into an unindexed table; for searches, the same SQL sent straight through the driver, without the
service, the ORM or the audit entry.

    python -m bench.registry_search --people 1000000 --db sqlite --db postgresql
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, create_engine, text

from bench.figures import Report, console, latencies_ms
from civicid.core import migrate
from civicid.core.audit import Actor
from civicid.core.clock import SystemClock
from civicid.core.database import make_engine, make_session_factory, unit_of_work
from civicid.core.settings import normalise_database_url
from civicid.country.zone import TIME_ZONE
from civicid.registry import service
from civicid.registry.bulk import load_population
from civicid.sim.population import generate_commune

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "civicid_bench"
ACTOR = Actor("bench", "registry_search")


def _database(kind: str, workdir: Path, *, reuse: bool) -> Engine:
    """The benchmark's database: made afresh, or (``--reuse``) the one a previous run left."""
    if kind == "sqlite":
        path = workdir / "bench.sqlite3"
        if not reuse:
            path.unlink(missing_ok=True)
        return make_engine(f"sqlite:///{path}")
    admin = create_engine(normalise_database_url(POSTGRES_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": BENCH_DATABASE}).first()
        if not (reuse and exists):
            connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
    admin.dispose()
    return make_engine(normalise_database_url(POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"))


def _raw_insert_rate(engine: Engine, rows: int) -> float:
    """Persons per second for a bare executemany of person-shaped rows into an unindexed table."""
    data = [
        {"n": f"{i:012d}", "name": f"nguyen van {i}", "dob": dt.date(1990, 1, 1), "hh": i // 4} for i in range(rows)
    ]
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_raw (n VARCHAR(12), name VARCHAR(200), dob DATE, hh INTEGER)"))
    start = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO bench_raw VALUES (:n, :name, :dob, :hh)"), data)
    elapsed = time.perf_counter() - start
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_raw"))
    return rows / elapsed


def _load(engine: Engine, people: int, seed: int) -> tuple[float, int]:
    sessions = make_session_factory(engine)
    clock = SystemClock(zone=TIME_ZONE)
    commune = generate_commune(seed=seed, people=people, reference_date=clock.today())
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"loading {engine.dialect.name}", total=people)
        start = time.perf_counter()
        with unit_of_work(sessions) as session:
            report = load_population(
                session=session,
                clock=clock,
                actor=ACTOR,
                commune=commune,
                progress=lambda done: progress.update(task, completed=done),
            )
        elapsed = time.perf_counter() - start
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return report.persons / elapsed, report.persons


def _samples(engine: Engine, count: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    """ID numbers and name queries of persons picked at random (half full names, half two words),
    and word queries: the given name alone, or the middle and given names (half each)."""
    rng = random.Random(seed)
    with engine.connect() as connection:
        top = connection.execute(text("SELECT max(id) FROM person")).scalar_one()
        ids = [rng.randint(1, top) for _ in range(count)]
        rows = connection.execute(
            text("SELECT id_number, name_folded FROM person WHERE id IN :ids").bindparams(
                __import__("sqlalchemy").bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        ).all()
    numbers = [r[0] for r in rows]
    names = [r[1] if i % 2 else " ".join(r[1].split()[:2]) for i, r in enumerate(rows)]
    words = [" ".join(r[1].split()[-2:]) if i % 2 else r[1].split()[-1] for i, r in enumerate(rows)]
    return numbers, names, words


def _persons(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM person")).scalar_one())


def run(kind: str, people: int, queries: int, seed: int, workdir: Path, reuse: bool) -> Report:
    report = Report(f"registry_search_{kind}")
    engine = _database(kind, workdir, reuse=reuse)
    migrate.upgrade(engine)
    if reuse and _persons(engine) >= people:
        loaded = _persons(engine)
        console.print(f"reusing the {kind} database with {loaded:,} persons (load not measured)")
    else:
        raw_rate = _raw_insert_rate(engine, 100_000)
        rate, loaded = _load(engine, people, seed)
        report.add("load", rate, "persons/s", baseline=raw_rate)
    numbers, names, words = _samples(engine, queries, seed)
    sessions = make_session_factory(engine)
    clock = SystemClock(zone=TIME_ZONE)

    def by_number(i: int) -> None:
        with unit_of_work(sessions) as session:
            found = service.search_persons(session=session, clock=clock, actor=ACTOR, id_number=numbers[i])
        assert len(found) == 1  # noqa: S101 - a benchmark that finds nothing measures nothing

    def by_name(i: int) -> None:
        with unit_of_work(sessions) as session:
            found = service.search_persons(session=session, clock=clock, actor=ACTOR, query=names[i])
        assert found  # noqa: S101

    def by_word(i: int) -> None:
        with unit_of_work(sessions) as session:
            found = service.search_persons(session=session, clock=clock, actor=ACTOR, query=words[i])
        assert found  # noqa: S101

    raw = engine.raw_connection()
    cursor = raw.cursor()
    mark = "%s" if kind == "postgresql" else "?"

    def raw_number(i: int) -> None:
        cursor.execute(f"SELECT * FROM person WHERE id_number = {mark}", (numbers[i],))  # noqa: S608
        cursor.fetchall()

    def raw_name(i: int) -> None:
        cursor.execute(
            f"SELECT * FROM person WHERE name_folded >= {mark} AND name_folded < {mark} "  # noqa: S608
            "ORDER BY name_folded, id LIMIT 50",
            (names[i], names[i] + "~"),
        )
        cursor.fetchall()

    def raw_word(i: int) -> None:
        # One word's index range in name order, as the service reads it for the given name alone.
        word = words[i].split()[-1]
        cursor.execute(
            f"SELECT p.* FROM person_name_word w JOIN person p ON p.id = w.person_id "  # noqa: S608
            f"WHERE w.word >= {mark} AND w.word < {mark} ORDER BY w.word, w.name_folded, w.person_id LIMIT 50",
            (word, word + "~"),
        )
        cursor.fetchall()

    n = len(numbers)
    latencies_ms(by_number, min(n, 100))  # warm the caches before measuring
    report.add_latencies(
        "search by ID number", latencies_ms(by_number, n), baseline=latencies_ms(raw_number, n), target="p95 < 5 ms"
    )
    report.add_latencies(
        "search by name", latencies_ms(by_name, n), baseline=latencies_ms(raw_name, n), target="p95 < 50 ms"
    )
    report.add_latencies(
        "search by any word (given name; middle and given)",
        latencies_ms(by_word, n),
        baseline=latencies_ms(raw_word, n),
        target="p95 < 50 ms",
    )
    raw.close()
    report.context = {
        "database": kind,
        "persons": loaded,
        "queries": n,
        "seed": seed,
        "load baseline": "raw executemany into an unindexed table (100,000 rows)",
        "search baseline": "same SQL through the bare driver, no service, no audit",
        "word search baseline": "one word's index range joined to person, bare driver (no rarity count, no audit)",
    }
    engine.dispose()
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "civicid-bench",
        help="where the SQLite database is kept",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="search the database a previous run loaded, if it holds enough persons"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    for kind in args.db or ["sqlite", "postgresql"]:
        report = run(kind, args.people, args.queries, args.seed, args.workdir, args.reuse)
        report.print()
        report.save()


if __name__ == "__main__":
    main()
