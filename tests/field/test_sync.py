"""A kit online: down-sync of its villages, captures approved on the kit, upload, statuses back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from tests.factories import ADMIN, KIT_OPERATOR, KIT_SUPERVISOR, captured_packet, delivered, registered_kit, synced
from tests.support.servers import LiveServer, client_for

from civicid.campaign.models import Visit
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.ids import uuid7
from civicid.core.runtime import Context
from civicid.enrollment.models import Application
from civicid.field.households import record_visit
from civicid.field.kit import Kit
from civicid.field.models import (
    KitHousehold,
    KitOperator,
    KitPerson,
    KitVisit,
    OutboxItem,
    OutboxPart,
    OutboxState,
)
from civicid.field.outbox import Review
from civicid.field.review import review
from civicid.field.status import kit_status
from civicid.field.sync import KitSync, SyncReport
from civicid.protocol.codes import VisitOutcome
from civicid.registry import service as registry
from civicid.sim.enrollment import approve_waiting
from civicid.sim.field import capture_from_sim

from .conftest import MakeKit


def server_applications(context: Context) -> int:
    with unit_of_work(context.database.sessions) as session:
        return session.scalar(select(func.count()).select_from(Application)) or 0


def outbox_states(kit: Kit) -> dict[str, int]:
    with kit.transaction() as session:
        rows = session.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state)).all()
    return {state.value: count for state, count in rows}


def test_a_kit_receives_only_the_residents_of_its_villages(
    make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit = make_kit("a", villages=villages[:2])
    synced(kit, kit_clock, server.url)
    with kit.transaction() as session:
        held = set(session.scalars(select(KitPerson.village_id)))
        assert held == set(villages[:2])


def test_captures_reach_the_server_once_and_their_outcome_comes_back(
    context: Context,
    commune: str,
    make_kit: MakeKit,
    villages: list[int],
    kit_clock: FixedClock,
    server: LiveServer,
    run_pipeline: Callable[[], int],
) -> None:
    kit = make_kit("a", villages=villages[:2])
    synced(kit, kit_clock, server.url)
    day = capture_from_sim(kit=kit, clock=kit_clock, count=4)
    assert outbox_states(kit) == {"approved_on_device": 4}
    synced(kit, kit_clock, server.url)
    assert server_applications(context) == 4
    assert outbox_states(kit) == {"uploaded": 4}
    run_pipeline()
    assert approve_waiting(context, commune, "supervisor") == 4
    run_pipeline()
    synced(kit, kit_clock, server.url)
    assert outbox_states(kit) == {"accepted": 4}
    assert server_applications(context) == 4
    with kit.transaction() as session:
        status = kit_status(kit=kit, session=session, clock=kit_clock)
    assert status["outbox"]["unsent"] == 0
    assert not any((kit.root / "sealed").glob("*/*.sealed")), day.captured


def test_a_capture_whose_first_parts_fit_in_one_chunk_goes_up_in_one_request(
    context: Context, make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)
    capture_from_sim(kit=kit, clock=kit_clock, count=3)
    sent: list[str] = []

    with client_for(server.url) as client:
        client.event_hooks["request"].append(lambda request: sent.append(request.url.path))
        report = KitSync(kit=kit, clock=kit_clock, client=client).run()

    assert report.complete, report.errors
    uploads = [path for path in sent if "/intake/" in path]
    assert len(uploads) == 3  # one request a packet: the envelope with its templates and portrait inline
    assert not any("/parts/" in path for path in uploads)
    assert outbox_states(kit) == {"uploaded": 3}
    with unit_of_work(context.database.sessions) as session:
        assert {s.value for s in session.scalars(select(Application.status))} == {"processing"}


def test_a_village_reassigned_to_another_kit_leaves_the_old_one_at_its_next_sync(
    make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    first = make_kit("a", villages=villages[:2])
    synced(first, kit_clock, server.url)
    second = make_kit("b", villages=villages[1:2])
    synced(first, kit_clock, server.url)
    synced(second, kit_clock, server.url)
    with first.transaction() as session:
        assert set(session.scalars(select(KitPerson.village_id))) == {villages[0]}
    with second.transaction() as session:
        assert set(session.scalars(select(KitPerson.village_id))) == {villages[1]}


def test_over_a_weak_link_full_resolution_portraits_wait_on_the_kit(
    context: Context, make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)
    capture_from_sim(kit=kit, clock=kit_clock, count=2, photos=True)
    synced(kit, kit_clock, server.url, send_later_parts=False)
    with unit_of_work(context.database.sessions) as session:
        statuses = set(session.scalars(select(Application.status)))
    assert {s.value for s in statuses} == {"processing"}  # the pipeline did not wait for the originals
    with kit.transaction() as session:
        waiting = kit_status(kit=kit, session=session, clock=kit_clock)["outbox"]
    assert waiting["unsent"] == 2
    assert waiting["bytes_on_kit"] > 100_000
    synced(kit, kit_clock, server.url)
    with kit.transaction() as session:
        assert kit_status(kit=kit, session=session, clock=kit_clock)["outbox"]["bytes_on_kit"] == 0


def test_a_capture_rejected_by_the_kits_supervisor_is_never_sent(
    context: Context, make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)
    capture_from_sim(kit=kit, clock=kit_clock, count=2, supervisor=None)
    with kit.transaction() as session:
        first = session.scalars(select(OutboxItem).order_by(OutboxItem.captured_at)).first()
        assert first is not None
        supervisor = session.get(KitOperator, KIT_SUPERVISOR)
        assert supervisor is not None
        review(
            kit=kit,
            session=session,
            clock=kit_clock,
            supervisor=supervisor,
            application_id=first.application_id,
            decision=Review.REJECT,
            reason="portrait blurred, retake",
        )
    synced(kit, kit_clock, server.url)
    assert server_applications(context) == 0  # the other capture still waits for review
    assert outbox_states(kit) == {"rejected": 1, "captured": 1}


def test_a_visit_the_server_refuses_does_not_hold_the_others_back(
    context: Context, make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)
    with kit.transaction() as session:
        household = session.scalars(select(KitHousehold.id)).first()
        assert household is not None
        record_visit(
            session=session,
            clock=kit_clock,
            household_id=household,
            person_id=None,
            outcome=VisitOutcome.ABSENT,
            operator=KIT_OPERATOR,
        )
        stray = KitVisit(
            id=str(uuid7()),
            household_id=999_999,
            person_id=None,
            outcome="absent",
            note=None,
            operator=KIT_OPERATOR,
            visited_at=kit_clock.now(),
            synced=False,
        )
        session.add(stray)
    with client_for(server.url) as client:
        report = KitSync(kit=kit, clock=kit_clock, client=client).run()
    assert report.complete
    assert (report.visits_sent, report.visits_refused) == (2, 1)
    with unit_of_work(context.database.sessions) as db:
        assert db.scalar(select(func.count()).select_from(Visit)) == 1
    with kit.transaction() as session:
        assert session.scalar(select(func.count()).where(KitVisit.synced.is_(False))) == 0


def test_the_same_villages_on_another_day_are_not_sent_again(
    make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer, clock: FixedClock
) -> None:
    kit = make_kit("a", villages=villages[:1])
    with client_for(server.url) as client:
        for each in (clock, kit_clock):  # the registry was loaded the day before
            each.advance(dt.timedelta(days=1))
        first = KitSync(kit=kit, clock=kit_clock, client=client).run()
        for each in (clock, kit_clock):
            each.advance(dt.timedelta(days=1))
        again = KitSync(kit=kit, clock=kit_clock, client=client).run()
    assert first.persons_received > 100
    assert again.persons_received == 0


def test_a_neighbour_enrolled_by_someone_else_is_known_to_the_kit(
    context: Context,
    commune: str,
    make_kit: MakeKit,
    villages: list[int],
    kit_clock: FixedClock,
    server: LiveServer,
    run_pipeline: Callable[[], int],
) -> None:
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)
    with kit.transaction() as session:
        adult = session.scalars(
            select(KitPerson).where(KitPerson.date_of_birth < kit_clock.today() - dt.timedelta(days=30 * 366))
        ).first()
        assert adult is not None
    office = registered_kit(context, commune, operator="office")
    with unit_of_work(context.database.sessions) as session:
        person = registry.get_person(session=session, clock=context.clock, actor=ADMIN, person_id=adult.id)
    delivered(context, captured_packet(context, office, person))
    run_pipeline()
    approve_waiting(context, commune, "supervisor")
    run_pipeline()
    synced(kit, kit_clock, server.url)
    with kit.transaction() as session:
        known = session.get(KitPerson, adult.id)
        assert known is not None
        assert known.enrollment_status == "issued"


def forget_acknowledgements(kit: Kit, application_id: str) -> None:
    """What a sync killed between removing a part's file and committing "the server holds it" leaves."""
    with kit.transaction() as session:
        for part in session.scalars(select(OutboxPart).where(OutboxPart.application_id == application_id)):
            part.on_server, part.sent_bytes = False, 0
        item = session.get(OutboxItem, application_id)
        assert item is not None
        item.state = OutboxState.UPLOADING


def captured_on_a_kit(make_kit: MakeKit, village: int, clock: FixedClock, server: LiveServer) -> tuple[Kit, list[str]]:
    """A kit that received its village and captured three adults, approved on the kit, not sent."""
    kit = make_kit("a", villages=[village])
    synced(kit, clock, server.url)
    return kit, capture_from_sim(kit=kit, clock=clock, count=3).captured


def sync_report(kit: Kit, clock: FixedClock, server: LiveServer) -> SyncReport:
    with client_for(server.url) as client:
        return KitSync(kit=kit, clock=clock, client=client).run()


def test_a_part_the_kit_lost_after_the_server_took_it_is_settled_by_the_servers_receipt(
    context: Context, make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit, captured = captured_on_a_kit(make_kit, villages[0], kit_clock, server)
    synced(kit, kit_clock, server.url)
    lost = captured[0]
    forget_acknowledgements(kit, lost)  # its files are gone (the server holds them), the rows say otherwise

    report = sync_report(kit, kit_clock, server)

    assert report.complete, report.errors
    assert report.anomalies == []
    with kit.transaction() as session:
        assert all(session.scalars(select(OutboxPart.on_server).where(OutboxPart.application_id == lost)))
        assert kit_status(kit=kit, session=session, clock=kit_clock)["outbox"]["unsent"] == 0
    assert server_applications(context) == 3


def test_a_part_neither_the_kit_nor_the_server_holds_is_an_anomaly_and_the_rest_still_go(
    context: Context, make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit, captured = captured_on_a_kit(make_kit, villages[0], kit_clock, server)
    broken = captured[0]
    template = next(p for p in (kit.root / "sealed" / broken).glob("*.sealed"))
    template.unlink()

    report = sync_report(kit, kit_clock, server)

    assert report.complete, report.errors  # the sync did not die on the kit's own state
    assert len(report.anomalies) == 1
    assert broken in report.anomalies[0]
    assert template.name.removesuffix(".sealed") in report.anomalies[0]
    assert server_applications(context) == 3  # the envelope told the server; the other two arrived whole
    assert outbox_states(kit) == {"uploading": 1, "uploaded": 2}
    with kit.transaction() as session:
        item = session.get(OutboxItem, broken)
        assert item is not None
        assert item.last_error is not None
        assert "missing on the kit" in item.last_error


def test_a_parts_file_goes_only_once_the_server_holding_it_is_committed(
    make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer
) -> None:
    kit, captured = captured_on_a_kit(make_kit, villages[0], kit_clock, server)
    application_id = captured[0]
    files = list((kit.root / "sealed" / application_id).glob("*.sealed"))
    assert files

    def killed_before_the_commit() -> None:
        with kit.transaction() as session:
            kit.remove_sealed_after_commit(session, application_id)
            raise RuntimeError("the sync is killed before its commit")

    with pytest.raises(RuntimeError):
        killed_before_the_commit()
    assert all(f.exists() for f in files)

    with kit.transaction() as session:
        kit.remove_sealed_after_commit(session, application_id)
        assert all(f.exists() for f in files)
    assert not any(f.exists() for f in files)
