"""A demo commune on a live server, and field kits assigned to its villages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from civicid.biometrics.simulated import simulated_extractors
from civicid.campaign.assignments import assign_villages_to_kit
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.runtime import build_pipeline, build_worker
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity
from civicid.registry import service as registry
from civicid.sim.demo import build_demo

from .support import ADMIN, LiveServer, kit_from_enrollment_file, live_server

MakeKit = Callable[..., Kit]


@pytest.fixture
def commune(context: Context) -> str:
    return build_demo(context=context, people=960).commune_code  # two villages


@pytest.fixture
def villages(context: Context, commune: str) -> list[int]:
    with unit_of_work(context.database.sessions) as session:
        return [v.id for v in registry.list_villages(session=session, commune_code=commune)]


@pytest.fixture
def server(context: Context, commune: str) -> Iterator[LiveServer]:
    with live_server(context) as running:
        yield running


@pytest.fixture
def kit_clock(clock: FixedClock) -> FixedClock:
    """The kit's own clock, starting at the server's time (tests move it on their own)."""
    return FixedClock(clock.now(), zone=TIME_ZONE)


@pytest.fixture
def make_kit(
    context: Context, commune: str, server: LiveServer, tmp_path: Path, kit_clock: FixedClock
) -> Iterator[MakeKit]:
    """``make_kit("a", villages=[…])``: a kit set up from an enrollment file and assigned those villages."""
    made: list[Kit] = []

    def make(name: str, *, villages: list[int]) -> Kit:
        kit = kit_from_enrollment_file(context, tmp_path / f"kit-{name}", kit_clock, commune, server.url)
        assign(kit, villages)
        made.append(kit)
        return kit

    def assign(kit: Kit, village_ids: list[int]) -> None:
        today = context.clock.today()
        with unit_of_work(context.database.sessions) as session:
            assign_villages_to_kit(
                session=session,
                clock=context.clock,
                actor=ADMIN,
                device_id=device_of(kit),
                village_ids=village_ids,
                start=today,
                end=today + dt.timedelta(days=30),
            )

    make.assign = assign  # type: ignore[attr-defined]
    yield make
    for kit in made:
        kit.close()


@pytest.fixture
def run_pipeline(context: Context, commune: str) -> Callable[[], int]:
    return build_worker(
        context, build_pipeline(context, simulated_extractors()), name="field-test-worker"
    ).run_until_idle


def device_of(kit: Kit) -> str:
    with kit.transaction() as session:
        identity = session.get(KitIdentity, 1)
        assert identity is not None
        return identity.device_id
