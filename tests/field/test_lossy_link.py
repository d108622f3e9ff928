"""A link that drops seven requests in ten: syncs end complete, and every capture is on the server once.

A sync is complete only when every request it makes succeeds, so a sync must make no request it does
not need: once the server holds a packet's every part, the packet is not sent again (its statuses
come down with the exchange). On a link that drops 70 % of requests a sync with nothing left to send
is one request, and succeeds three times in ten.
"""

from __future__ import annotations

import random

from sqlalchemy import func, select
from tests.factories import synced
from tests.support.network import FaultPlan, FaultyProxy
from tests.support.servers import LiveServer, client_for

from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment.models import Application, ApplicationPart
from civicid.field.kit import Kit
from civicid.field.status import kit_status
from civicid.field.sync import KitSync, SyncReport
from civicid.sim.field import capture_from_sim

from .conftest import MakeKit

SEVEN_IN_TEN_DROPPED = FaultPlan(drop_request=0.7)
MAX_SYNCS = 150  # P(no complete sync in 150 once all is sent) = 0.7^n for the last n syncs: negligible


def sync_through(kit: Kit, clock: FixedClock, url: str, seed: int) -> SyncReport:
    with client_for(url) as client:
        return KitSync(kit=kit, clock=clock, client=client, rng=random.Random(seed)).run()


def test_a_sync_with_nothing_left_to_send_makes_one_request(
    make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)
    capture_from_sim(kit=kit, clock=kit_clock, count=3, seed=5)
    synced(kit, kit_clock, server.url)  # every part is on the server; the pipeline has not decided yet
    with FaultyProxy(upstream=("127.0.0.1", server.port), seed=1) as proxy:
        assert sync_through(kit, kit_clock, proxy.url, seed=1).complete
        assert proxy.stats.requests == 1  # the exchange alone: no packet sent again


def test_through_a_link_dropping_70_percent_of_requests_a_sync_ends_complete_with_each_capture_once(
    context: Context, make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)  # the morning's down-sync, on a good link
    captured = capture_from_sim(kit=kit, clock=kit_clock, count=4, seed=11).captured

    reports: list[SyncReport] = []
    with FaultyProxy(upstream=("127.0.0.1", server.port), faults=SEVEN_IN_TEN_DROPPED, seed=18) as proxy:
        for attempt in range(MAX_SYNCS):
            reports.append(sync_through(kit, kit_clock, proxy.url, seed=attempt))
            if reports[-1].complete:
                break
        dropped = proxy.stats.dropped_requests

    assert reports[-1].complete, reports[-1].errors
    assert dropped >= 5, "the link really dropped requests"
    with kit.transaction() as session:
        assert kit_status(kit=kit, session=session, clock=kit_clock)["outbox"]["unsent"] == 0
    with unit_of_work(context.database.sessions) as session:
        on_server = list(session.scalars(select(Application.id)))
        unassembled = session.scalar(select(func.count()).where(ApplicationPart.blob.is_(None)))
    assert sorted(on_server) == sorted(captured)  # every capture, exactly once
    assert unassembled == 0
