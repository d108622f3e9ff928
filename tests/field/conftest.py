"""A demo commune on a live server, and field kits assigned to its villages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.factories import assigned, demo_commune, field_kit
from tests.support.servers import LiveServer, live_server

from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.zone import TIME_ZONE
from civicid.field.kit import Kit
from civicid.registry import service as registry

MakeKit = Callable[..., Kit]


@pytest.fixture
def commune(context: Context) -> str:
    return demo_commune(context, people=960)  # two villages


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
        kit = field_kit(context, tmp_path / f"kit-{name}", kit_clock, commune, server.url)
        made.append(assigned(context, kit, villages))
        return kit

    yield make
    for kit in made:
        kit.close()
