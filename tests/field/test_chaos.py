"""Chaos: a server, three kits and a proxy that drops, delays, duplicates and cuts; kills and restarts.

While the network misbehaves the kits capture and sync, one sync is killed with SIGKILL mid-way, and
the server is restarted on another port. Once the network heals, every capture is on the server
exactly once, with every part whole, and every kit's outbox is empty.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import KIT_LOGIN, assigned, demo_commune, field_kit
from tests.support.network import FaultPlan, FaultyProxy
from tests.support.servers import LiveServer, client_for

from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.models import Application, ApplicationPart
from civicid.field.cli import KIT_PASSWORD_ENV, KIT_USER_ENV
from civicid.field.kit import Kit
from civicid.field.models import OutboxItem
from civicid.field.status import kit_status
from civicid.field.sync import KitSync, SyncReport
from civicid.registry import service as registry
from civicid.sim.field import capture_from_sim

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)]

KITS = 3
ROUNDS = 6
CHAOS = FaultPlan.chaos(rate=0.35, max_delay_s=0.05)


@pytest.fixture
def live_context(context: Context) -> Context:
    """The server on real time: kits' device tokens carry real timestamps."""
    return Context(settings=context.settings, database=context.database, clock=SystemClock(zone=TIME_ZONE))


@pytest.fixture
def proxied(live_context: Context) -> Iterator[tuple[LiveServer, FaultyProxy]]:
    server = LiveServer(live_context)
    server.start()
    with FaultyProxy(upstream=("127.0.0.1", server.port), seed=20261128, timeout_s=30) as proxy:
        yield server, proxy
    server.stop()


def sync(kit: Kit, url: str, seed: int) -> SyncReport:
    with client_for(url) as client:
        return KitSync(
            kit=kit, clock=SystemClock(zone=TIME_ZONE), client=client, rng=random.Random(seed), chunk_bytes=4096
        ).run()


def killed_mid_sync(root: Path, rng: random.Random) -> None:
    """``civicid field sync`` in its own process, killed with SIGKILL part-way (kill -9)."""
    process = subprocess.Popen(  # noqa: S603 - our own CLI, with arguments we chose
        [sys.executable, "-m", "civicid", "field", "sync", "--data", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, KIT_USER_ENV: KIT_LOGIN.username, KIT_PASSWORD_ENV: KIT_LOGIN.password},
    )
    time.sleep(rng.uniform(1.0, 2.5))  # the interpreter starts, then the sync is somewhere in flight
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_after_the_network_heals_every_capture_is_on_the_server_exactly_once(
    live_context: Context, proxied: tuple[LiveServer, FaultyProxy], tmp_path: Path
) -> None:
    server, proxy = proxied
    clock = live_context.clock
    commune = demo_commune(live_context, people=1500)
    with unit_of_work(live_context.database.sessions) as session:
        villages = [v.id for v in registry.list_villages(session=session, commune_code=commune)][:KITS]
    kits = []
    for index, village in enumerate(villages):
        kit = assigned(
            live_context,
            field_kit(live_context, tmp_path / f"kit-{index}", clock, commune, proxy.url),
            [village],
            days=0,
        )
        assert sync(kit, proxy.url, index).complete  # the morning's down-sync, on a good link
        kits.append(kit)

    rng = random.Random(7)
    proxy.set_faults(CHAOS)
    for round_ in range(ROUNDS):
        for index, kit in enumerate(kits):
            capture_from_sim(kit=kit, clock=clock, count=2, seed=round_ * 10 + index)
            sync(kit, proxy.url, round_ * 10 + index)  # may fail in many ways: nothing is lost
        if round_ == 2:
            killed_mid_sync(kits[0].root, rng)
            kits[0].close()
            kits[0] = Kit.open(kits[0].root, KIT_LOGIN)  # the kit restarts after the kill
        if round_ == 3:
            server.stop()  # the server goes down, and comes back on another port
            restarted = LiveServer(live_context)
            restarted.start()
            proxy.upstream = ("127.0.0.1", restarted.port)
            server = restarted

    proxy.set_faults(FaultPlan())
    for kit in kits:
        for attempt in range(4):
            if sync(kit, proxy.url, 1000 + attempt).complete:
                break
        with kit.transaction() as session:
            status = kit_status(kit=kit, session=session, clock=clock)
        assert status["outbox"]["unsent"] == 0, status
        assert not any((kit.root / "sealed").glob("*/*.sealed"))

    captured: set[str] = set()
    for kit in kits:
        with kit.transaction() as session:
            captured |= set(session.scalars(select(OutboxItem.application_id)))
    with unit_of_work(live_context.database.sessions) as session:
        on_server = list(session.scalars(select(Application.id)))
        unassembled = session.scalar(select(func.count()).where(ApplicationPart.blob.is_(None)))
    assert len(captured) == KITS * ROUNDS * 2
    assert sorted(on_server) == sorted(captured)  # exactly once each
    assert unassembled == 0
    stats = proxy.stats
    assert stats.faults > 20, stats  # the network really misbehaved
    server.stop()
