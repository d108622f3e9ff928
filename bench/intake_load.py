"""Field submissions under load, in the style of ODK Central's: 50 a second for 30 seconds, each accepted once.

Issue 18's load test. A real ``civicid serve`` (uvicorn, its pipeline worker in a thread) on loopback,
on PostgreSQL, receives kits' uploads at a fixed rate, open-loop: submission *i* is due at
``start + i / rate`` whatever became of the earlier ones, so a slow server meets a growing queue and
the latency of each submission is counted from when it was due (no coordinated omission). One
submission is what a kit sends for one capture on a good link (``field/sync.py``): ``PUT`` the signed
envelope with the first parts inline, then any other part in 32 KiB chunks. ``--workers`` client
threads carry them (up to that many in flight).

Figures: the submissions' p50 and p95 under load, beside the same submissions sent one at a time
before the load (the baseline: same server, same run, its first few left out as warm-up); errors
(any answer other than 200/201, any cut connection or timeout) on the first try; and, after a
bounded retry of the failures as a kit would retry, whether every submission is in the database
exactly once with every part assembled.
The machine's load average is read before and after: the client, the server and its worker share
the machine's cores.

Set-up (not timed): a fresh database ``civicid_bench_intake`` on the local PostgreSQL, migrated; a
simulated commune; a registered simulated kit; one packet per adult, built and sealed to the
server's key beforehand.

    python -m bench.intake_load --rate 50 --seconds 30 --workers 64
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text

from bench.figures import Report, console, percentile
from civicid.core.audit import Actor
from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import open_context
from civicid.core.settings import Settings, normalise_database_url
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.models import Application, ApplicationPart
from civicid.enrollment.runtime import keystore_of
from civicid.protocol.packet import Packet, parts_to_send_inline
from civicid.registry import service as registry
from civicid.registry.bulk import load_population
from civicid.sim.captures import SimulatedKit
from civicid.sim.population import generate_commune

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "civicid_bench_intake"
ACTOR = Actor("bench", "intake_load")
INTAKE = "/api/v1/enrollment/intake/applications"
CHUNK_BYTES = 32 * 1024
REQUEST_TIMEOUT_S = 30.0
RETRIES = 3
WARM_UP = 5  # the baseline's first submissions build the server's pipeline and open connections: not counted


@dataclass
class Outcome:
    """One submission: milliseconds from when it was due to its last answer, and its error if any."""

    application_id: str
    latency_ms: float
    error: str | None = None


def _database_url() -> str:
    admin = create_engine(normalise_database_url(POSTGRES_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {BENCH_DATABASE}"))
    admin.dispose()
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{BENCH_DATABASE}"


def _packets(settings: Settings, count: int) -> list[Packet]:
    """``count`` packets of distinct adults, sealed to the deployment's key (the server opens the same folder)."""
    clock = SystemClock(zone=TIME_ZONE)
    context = open_context(settings, clock=clock)
    try:
        source = generate_commune(seed=18, people=int(count * 1.9) + 300, reference_date=clock.today())
        with unit_of_work(context.database.sessions) as session:
            load_population(session=session, clock=clock, actor=ACTOR, commune=source)
            kit = SimulatedKit.register(
                session=session, clock=clock, actor=ACTOR, commune_code=source.code, operator="bench"
            )
            adults = registry.enrollable_adults(session=session, commune_code=source.code, reference_date=clock.today())
            if len(adults) < count:
                raise SystemExit(f"the simulated commune has {len(adults)} adults with a phone, {count} are needed")
            people = [
                registry.get_person(session=session, clock=clock, actor=ACTOR, person_id=person_id)
                for person_id in adults[:count]
            ]
        sealing = keystore_of(context).sealing_public_key()
        with console.status(f"building and sealing {count} packets"):
            return [
                kit.capture(person=person, clock=clock, server_public_key=sealing, capture_seed=index + 1)
                for index, person in enumerate(people)
            ]
    finally:
        context.database.close()


def submit(client: httpx.Client, packet: Packet) -> None:
    """Upload one packet as a kit does on a good link; raises on any answer but 200/201."""
    sizes = [(ref.name, ref.priority, ref.size) for ref in packet.envelope.manifest]
    inline = set(parts_to_send_inline(sizes, CHUNK_BYTES))
    body = {
        "envelope": packet.envelope_jws,
        "parts": {name: base64.b64encode(packet.sealed_parts[name]).decode("ascii") for name in sorted(inline)},
    }
    application_id = packet.envelope.application_id
    _check(client.put(f"{INTAKE}/{application_id}", json=body))
    for name, data in packet.sealed_parts.items():
        if name in inline:
            continue
        for offset in range(0, len(data), CHUNK_BYTES):
            chunk = data[offset : offset + CHUNK_BYTES]
            digest = base64.b64encode(hashlib.sha256(chunk).digest()).decode("ascii")
            headers = {"Content-Type": "application/octet-stream", "Content-Digest": f"sha-256=:{digest}:"}
            response = client.put(
                f"{INTAKE}/{application_id}/parts/{name}", params={"offset": offset}, content=chunk, headers=headers
            )
            _check(response)


def _check(response: httpx.Response) -> None:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"HTTP {response.status_code}")


class Clients:
    """One keep-alive client per worker thread, as each kit holds its own connection."""

    def __init__(self, url: str) -> None:
        self.url, self._local, self._all = url, threading.local(), []
        self._lock = threading.Lock()

    def get(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.url, timeout=REQUEST_TIMEOUT_S)
            self._local.client = client
            with self._lock:
                self._all.append(client)
        return client

    def close(self) -> None:
        for client in self._all:
            client.close()


def _timed(clients: Clients, packet: Packet, due: float) -> Outcome:
    try:
        submit(clients.get(), packet)
        error = None
    except (httpx.HTTPError, RuntimeError) as exc:
        error = str(exc) or exc.__class__.__name__
    return Outcome(packet.envelope.application_id, (time.perf_counter() - due) * 1000, error)


def one_at_a_time(url: str, packets: Sequence[Packet]) -> list[Outcome]:
    clients = Clients(url)
    try:
        return [_timed(clients, packet, time.perf_counter()) for packet in packets]
    finally:
        clients.close()


def at_rate(url: str, packets: Sequence[Packet], rate: float, workers: int) -> tuple[list[Outcome], float]:
    """Submit ``packets`` open-loop at ``rate`` a second through ``workers`` threads; outcomes and wall seconds.

    Bounded: what has not started a minute after the last submission was due is not sent (and counts
    as an error); what has started ends within its requests' timeouts.
    """
    clients = Clients(url)
    start = time.perf_counter() + 0.2
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kit")
    futures: list[Future[Outcome]] = []
    for index, packet in enumerate(packets):
        due = start + index / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        futures.append(pool.submit(_timed, clients, packet, due))
    wait(futures, timeout=60)
    pool.shutdown(wait=True, cancel_futures=True)
    clients.close()
    ended = time.perf_counter()
    outcomes = [
        Outcome(p.envelope.application_id, (ended - start - i / rate) * 1000, "not sent within the bound")
        if future.cancelled()
        else future.result()
        for i, (p, future) in enumerate(zip(packets, futures, strict=True))
    ]
    return outcomes, time.perf_counter() - start


def retry_failures(url: str, packets: Sequence[Packet], failed: set[str]) -> set[str]:
    """Send the failed submissions again, one at a time, up to :data:`RETRIES` times: what is still failing."""
    by_id = {p.envelope.application_id: p for p in packets}
    for _ in range(RETRIES):
        if not failed:
            break
        failed = {o.application_id for o in one_at_a_time(url, [by_id[i] for i in sorted(failed)]) if o.error}
    return failed


def held_once(database_url: str, application_ids: Sequence[str]) -> tuple[int, int]:
    """How many of ``application_ids`` the database holds (rows, each id once by its key), and parts unassembled."""
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.scalar(
                select(func.count()).select_from(Application).where(Application.id.in_(application_ids))
            )
            unassembled = connection.scalar(
                select(func.count())
                .select_from(ApplicationPart)
                .where(ApplicationPart.application_id.in_(application_ids), ApplicationPart.blob.is_(None))
            )
    finally:
        engine.dispose()
    return int(rows or 0), int(unassembled or 0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(data_dir: Path, database_url: str, port: int) -> subprocess.Popen[bytes]:
    """``civicid serve`` on loopback in its own process; returns once its health check answers."""
    environment = {**os.environ, "CIVICID_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "civicid", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--data", str(data_dir), "--simulated-biometrics"]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)  # noqa: S603 - our own CLI
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"civicid serve exited with status {server.returncode}")
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("civicid serve did not answer its health check within 90 s")


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(prog="python -m bench.intake_load", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50, help="submissions a second")
    parser.add_argument("--seconds", type=float, default=30, help="how long the load lasts")
    parser.add_argument("--workers", type=int, default=64, help="client threads: submissions in flight at most")
    parser.add_argument("--baseline", type=int, default=100, help="submissions sent one at a time first")
    args = parser.parse_args(argv)
    load_count = int(args.rate * args.seconds)
    report = Report("intake_load")
    database_url = _database_url()
    data_dir = Path(tempfile.mkdtemp(prefix="civicid-bench-intake-"))
    settings = Settings(data_dir=data_dir, database_url=database_url, simulated_biometrics=True)
    packets = _packets(settings, args.baseline + load_count)
    baseline_packets, load_packets = packets[: args.baseline], packets[args.baseline :]
    port = _free_port()
    server = _serve(data_dir, database_url, port)
    url = f"http://127.0.0.1:{port}"
    try:
        load_before = os.getloadavg()
        console.print(f"baseline: {args.baseline} submissions one at a time")
        baseline = one_at_a_time(url, baseline_packets)
        console.print(f"load: {load_count} submissions at {args.rate:g}/s through {args.workers} workers")
        outcomes, wall_s = at_rate(url, load_packets, args.rate, args.workers)
        load_after = os.getloadavg()
        failed = {o.application_id for o in outcomes + baseline if o.error}
        still_failing = retry_failures(url, packets, failed)
    finally:
        server.terminate()
        server.wait(timeout=60)
    ids = [p.envelope.application_id for p in packets]
    held, unassembled = held_once(database_url, ids)
    errors = [o for o in outcomes if o.error]
    samples = [o.latency_ms for o in outcomes]
    reference = [o.latency_ms for o in baseline[WARM_UP:] if not o.error]
    report.add_latencies("submission, from when it was due", samples, baseline=reference,
                         target="every one accepted once")  # fmt: skip
    report.add("submissions a second achieved", load_count / wall_s, "/s", baseline=args.rate, target="the rate asked")
    report.add("errors on the first try", len(errors), "submissions", target="0")
    report.add("in the database exactly once", held, "submissions", baseline=len(ids), target=f"{len(ids)}")
    report.add("parts not assembled", unassembled, "parts", target="0")
    report.context.update(
        rate=args.rate,
        seconds=args.seconds,
        workers=args.workers,
        submissions=load_count,
        baseline_submissions=args.baseline,
        wall_seconds=round(wall_s, 1),
        errors_by_kind=_kinds(errors),
        still_failing_after_retries=len(still_failing),
        load_average_before=[round(x, 2) for x in load_before],
        load_average_after=[round(x, 2) for x in load_after],
        cores=os.cpu_count(),
        p95_baseline_ms=round(percentile(reference, 95), 1) if reference else None,
    )
    report.print()
    report.save()
    return report


def _kinds(errors: Sequence[Outcome]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for outcome in errors:
        kinds[outcome.error or "?"] = kinds.get(outcome.error or "?", 0) + 1
    return kinds


if __name__ == "__main__":
    main()
