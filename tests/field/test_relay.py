"""The no-signal relay: a USB bundle imported at the commune office, then the kit syncs: no duplicates."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from sqlalchemy import func, select
from tests.factories import synced
from tests.support.servers import LiveServer

from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment.models import Application, ApplicationPart
from civicid.enrollment.runtime import blobs_of
from civicid.field.kit import Kit
from civicid.field.relay import write_bundle
from civicid.fieldsync.relay_import import ImportReport, import_bundle
from civicid.protocol.errors import InvalidRelayBundle
from civicid.sim.field import capture_from_sim

from .conftest import MakeKit
from .test_sync import outbox_states, server_applications


def export(kit: Kit, clock: FixedClock) -> bytes:
    with kit.transaction() as session:
        bundle, _ = write_bundle(kit=kit, session=session, clock=clock)
    return bundle


def office_import(context: Context, bundle: bytes) -> ImportReport:
    return import_bundle(
        data=bundle,
        transaction=lambda: unit_of_work(context.database.sessions),
        clock=context.clock,
        blobs=blobs_of(context),
    )


@pytest.fixture
def offline_kit(make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer) -> Kit:
    """A kit that synced its villages once, then captured three people with no signal."""
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)
    capture_from_sim(kit=kit, clock=kit_clock, count=3)
    return kit


def test_a_bundle_imported_twice_then_synced_online_stores_each_packet_once(
    context: Context, offline_kit: Kit, kit_clock: FixedClock, server: LiveServer
) -> None:
    bundle = export(offline_kit, kit_clock)
    first = office_import(context, bundle)
    assert (len(first.received), first.replayed, first.refused) == (3, [], {})
    again = office_import(context, bundle)
    assert (again.received, len(again.replayed)) == ([], 3)
    assert server_applications(context) == 3
    with unit_of_work(context.database.sessions) as session:
        assert session.scalar(select(func.count()).where(ApplicationPart.blob.is_(None))) == 0
    synced(offline_kit, kit_clock, server.url)
    assert server_applications(context) == 3
    assert outbox_states(offline_kit) == {"uploaded": 3}
    assert not any((offline_kit.root / "sealed").glob("*/*.sealed"))


def test_a_bundle_altered_on_the_way_is_refused(context: Context, offline_kit: Kit, kit_clock: FixedClock) -> None:
    original = zipfile.ZipFile(BytesIO(export(offline_kit, kit_clock)))
    altered = BytesIO()
    with zipfile.ZipFile(altered, "w") as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename.endswith("portrait.sealed"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            copy.writestr(info, data)
    report = office_import(context, altered.getvalue())
    assert set(report.refused.values()) == {"invalid_relay_bundle"}
    with unit_of_work(context.database.sessions) as session:
        stored = session.scalar(select(func.count()).select_from(Application))
    assert stored == 0  # one transaction per packet: a refused packet leaves nothing behind


def test_a_bundle_that_is_not_one_is_named_as_such(context: Context, commune: str) -> None:
    with pytest.raises(InvalidRelayBundle, match="not a civicid-relay/1 bundle"):
        office_import(context, b"PK\x03\x04 not really a zip")
