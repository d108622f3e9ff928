"""Intake to issued: simulated level-2 applications through the real intake, pipeline and approval.

Target (issue 3): at least 100 applications per second per core, excluding image feature extraction,
on SQLite and on PostgreSQL. The packets are built before the clock starts (that is the field kit's
work); the time spent inside the extractors is measured and taken out. Packets are delivered as the
kit sends them: the envelope with its small first parts inline, in one request (decision 0030);
``--parts chunks`` delivers every part in chunks instead, as kits did before.

Baseline measured in the same run: bare single-row INSERT + COMMIT transactions per second on the
same database. The pipeline needs a known number of transactions per application (intake, each
stage's claim and work, the approval), so the ratio says how much of the database's raw transaction
capacity one worker turns into applications.

    python -m bench.enrollment_pipeline --applications 10000 --db sqlite --db postgresql
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, create_engine, event, text

from bench.figures import Report, console
from civicid.biometrics.ports import Extractor, Template, TemplateKey
from civicid.biometrics.simulated import simulated_extractors
from civicid.core import migrate
from civicid.core.clock import SystemClock
from civicid.core.database import make_engine, make_session_factory, unit_of_work
from civicid.core.runtime import Context, Database
from civicid.core.settings import Settings, normalise_database_url
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.runtime import build_pipeline, build_worker, keystore_of
from civicid.enrollment.stats import enrollment_stats
from civicid.sim.captures import CHUNK_BYTES, SimulatedKit, deliver, sample_documents
from civicid.sim.demo import build_demo
from civicid.sim.enrollment import SIMULATOR, adults_to_enroll, approve_waiting

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "civicid_bench_enrollment"
# The registry the applications come from (at least 2.2 people per application); not timed.
# bench/before_after.py lowers it to keep its many rounds short.
DEMO_PEOPLE = 20_000


class TimedExtractor:
    """Wraps an extractor and adds up the time spent in it, to take it out of the figures.

    Wall time comes out of the wall rate, and the calling thread's CPU time out of the CPU figures
    (wall time would take out more than the extractor used whenever the process waited for a core).
    """

    def __init__(self, inner: Extractor) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    @property
    def key(self) -> TemplateKey:
        return self.inner.key

    def extract(self, image: bytes) -> Template:
        start, cpu_start = time.perf_counter(), time.thread_time()
        try:
            return self.inner.extract(image)
        finally:
            self.seconds += time.perf_counter() - start
            self.cpu_seconds += time.thread_time() - cpu_start


def _engine(kind: str, workdir: Path) -> Engine:
    if kind == "sqlite":
        return make_engine(f"sqlite:///{workdir / 'enrollment.sqlite3'}")
    admin = create_engine(normalise_database_url(POSTGRES_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
    admin.dispose()
    return make_engine(normalise_database_url(POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"))


def _raw_transactions_per_second(engine: Engine, count: int = 2000) -> float:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_tx (id INTEGER PRIMARY KEY, v VARCHAR(40))"))
    start = time.perf_counter()
    for i in range(count):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_tx VALUES (:i, :v)"), {"i": i, "v": "x" * 40})
    elapsed = time.perf_counter() - start
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE bench_tx"))
    return count / elapsed


class _StatementCounter:
    """Counts the statements the CivicID process sends to the database while the clock runs.

    Only with ``--count-statements``: an engine listener makes SQLAlchemy dispatch events around
    every statement, CPU that CivicID does not spend without it.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: object) -> None:
        self.count += 1

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def _transactions(engine: Engine) -> int:
    """Transactions committed so far (PostgreSQL); None on SQLite, which does not count them."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            ).scalar_one()
        )


def _backend_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving the benchmark's database.

    The database server's own work for the pipeline runs in other processes than CivicID's; it is
    read from ``/proc/<pid>/stat`` (utime + stime, fields 14 and 15) so the report can say what an
    application costs with it included. Empty when the server is not on this machine.
    """
    with engine.connect() as connection:
        pids = connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
        ticks = os.sysconf("SC_CLK_TCK")
        used: dict[int, float] = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[int(pid)] = (int(fields[11]) + int(fields[12])) / ticks
        return used


def run(
    kind: str,
    applications: int,
    workdir: Path,
    profile: Path | None = None,
    *,
    count_statements: bool = False,
    inline_bytes: int = CHUNK_BYTES,
) -> Report:
    report = Report(f"enrollment_pipeline_{kind}")
    engine = _engine(kind, workdir)
    migrate.upgrade(engine)
    database = Database(engine=engine, sessions=make_session_factory(engine))
    settings = Settings(
        data_dir=workdir / f"data-{kind}", database_url=engine.url.render_as_string(hide_password=False)
    )
    context = Context(settings=settings, database=database, clock=SystemClock(zone=TIME_ZONE))
    demo = build_demo(context=context, people=max(DEMO_PEOPLE, int(applications * 2.2)))
    raw_tps = _raw_transactions_per_second(engine)

    extractors = {name: TimedExtractor(e) for name, e in simulated_extractors().items()}
    pipeline = build_pipeline(context, extractors=dict(extractors))
    with unit_of_work(context.database.sessions) as session:
        kit = SimulatedKit.register(
            session=session, clock=context.clock, actor=SIMULATOR, commune_code=demo.commune_code, operator="operator"
        )
    server = keystore_of(context).sealing_public_key()
    people = adults_to_enroll(context, demo.commune_code, applications, seed=11)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("kit captures (not timed)", total=len(people))
        packets = []
        for person in people:
            packets.append(
                kit.capture(
                    person=person, clock=context.clock, server_public_key=server, documents=sample_documents(person)
                )
            )
            bar.advance(task)
        counted = kind == "postgresql"
        tx_before = _transactions(engine) if counted else 0
        backend_before = _backend_cpu(engine) if counted else {}
        cpu_before = (
            resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime
        )
        statements = _StatementCounter(engine) if count_statements else None
        # CPU time, not wall time: the target counts CPU, and waits (fsync, the database) would dominate.
        profiler = cProfile.Profile(time.process_time) if profile is not None else None
        if profiler is not None:
            profiler.enable()
        start, process_start = time.perf_counter(), time.process_time()
        task = bar.add_task("intake", total=len(packets))
        for packet in packets:
            with unit_of_work(context.database.sessions) as session:
                deliver(
                    session=session,
                    clock=context.clock,
                    blobs=pipeline.blobs,
                    packet=packet,
                    inline_bytes=inline_bytes,
                )
            bar.advance(task)
        phases = {"intake": time.perf_counter() - start}
        phase_cpu = {"intake": time.process_time() - process_start}
        worker = build_worker(context, pipeline, name="bench")
        bar.add_task("pipeline", total=None)
        steps: list[tuple[str, Callable[[], int]]] = [
            ("pipeline to approval", worker.run_until_idle),
            ("approvals", lambda: approve_waiting(context, demo.commune_code, "supervisor")),
            ("issue stage", worker.run_until_idle),
        ]
        for phase, step in steps:
            mark, cpu_mark = time.perf_counter(), time.process_time()
            step()
            phases[phase] = time.perf_counter() - mark
            phase_cpu[phase] = time.process_time() - cpu_mark
        elapsed = time.perf_counter() - start
        if statements is not None:
            statements.stop()
        if profiler is not None and profile is not None:
            profiler.disable()
            profiler.dump_stats(str(profile.with_suffix(f".{kind}.prof")))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
        tx = _transactions(engine) - tx_before if counted else 0
        backend_after = _backend_cpu(engine) if counted else {}
        backend = sum(used - backend_before.get(pid, 0.0) for pid, used in backend_after.items())
    extraction = sum(e.seconds for e in extractors.values())
    extraction_cpu = sum(e.cpu_seconds for e in extractors.values())
    phase_cpu["pipeline to approval"] -= extraction_cpu  # the extractors run in the integrity stage
    with unit_of_work(context.database.sessions) as session:
        issued = int(enrollment_stats(session=session)["issued"])  # type: ignore[call-overload]
    rate = issued / (elapsed - extraction)
    per_app = tx / issued if counted and issued else None
    report.add("applications issued", issued, "applications")
    report.add("intake to issued, one worker (one core)", rate, "applications/s")
    report.add("CPU of the CivicID process", issued / max(cpu - extraction_cpu, 1e-9), "applications/CPU-s")
    if counted and backend_after:
        report.add(
            "CPU of CivicID and its PostgreSQL backends",
            issued / max(cpu - extraction_cpu + backend, 1e-9),
            "applications/CPU-s",
        )
    report.add("bare INSERT+COMMIT transactions", raw_tps, "tx/s")
    if statements is not None:
        report.add("SQL statements per application", statements.count / max(issued, 1), "statements")
    if per_app is not None:
        report.add("transactions per application", per_app, "tx")
        report.add("share of raw transaction capacity", rate * per_app / raw_tps, "ratio")
    report.add("feature extraction (taken out)", extraction, "s")
    report.add("feature extraction, CPU (taken out)", extraction_cpu, "s")
    for phase, seconds in phases.items():
        report.add(f"wall time: {phase}", seconds * 1000 / max(issued, 1), "ms/application")
    for phase, seconds in phase_cpu.items():
        report.add(f"CPU time: {phase}", seconds * 1000 / max(issued, 1), "ms/application")
    report.context = {
        "database": kind,
        "applications": applications,
        "parts": "inline with the envelope" if inline_bytes else "in chunks",
        "wall seconds": round(elapsed, 1),
        "target": "≥ 100 applications/s per core",
        "baseline": "bare single-row INSERT + COMMIT transactions per second on the same database",
    }
    engine.dispose()
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--profile", type=Path, help="write a cProfile (CPU time) of the timed part to PATH.<db>.prof")
    parser.add_argument(
        "--count-statements", action="store_true", help="count SQL statements (adds an engine listener's cost)"
    )
    parser.add_argument(
        "--parts",
        choices=["inline", "chunks"],
        default="inline",
        help="send the small first parts inline with the envelope, as the kit does (default), or all in chunks",
    )
    args = parser.parse_args(argv)
    inline_bytes = CHUNK_BYTES if args.parts == "inline" else 0
    for kind in args.db or ["sqlite", "postgresql"]:
        with tempfile.TemporaryDirectory() as workdir:
            report = run(
                kind,
                args.applications,
                Path(workdir),
                args.profile,
                count_statements=args.count_statements,
                inline_bytes=inline_bytes,
            )
        report.print()
        report.save()


if __name__ == "__main__":
    main()
