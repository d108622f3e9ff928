"""The dispatcher: each queued SMS sent once, failures retried with backoff, given up in the end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from tests.factories import queue_approved_sms
from tests.support.outage import FlakySessions

from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Database
from civicid.notify import dispatcher
from civicid.notify.adapters import FileSmsGateway, RecordingSmsGateway
from civicid.notify.dispatcher import CLAIM_LEASE, MAX_ATTEMPTS, Dispatcher, backoff, dispatch_pending
from civicid.notify.models import Notification, NotificationState
from civicid.notify.schemas import NotificationRead


def queue(database: Database, clock: FixedClock, key: str, to: str = "0912345678") -> str:
    with unit_of_work(database.sessions) as session:
        return queue_approved_sms(session, clock, key, to=to, idempotency_key=key).id


def row(database: Database, notification_id: str) -> NotificationRead:
    with unit_of_work(database.sessions) as session:
        return NotificationRead.model_validate(session.get(Notification, notification_id))


def test_sends_each_once(database: Database, clock: FixedClock) -> None:
    ids = [queue(database, clock, f"k{n}", to=f"091234567{n}") for n in range(3)]
    gateway = RecordingSmsGateway()
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 3
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 0
    assert sorted(s.idempotency_key for s in gateway.sent) == ["k0", "k1", "k2"]
    for notification_id, sent in zip(ids, gateway.sent, strict=True):
        stored = row(database, notification_id)
        assert stored.state is NotificationState.SENT
        assert stored.sent_at == clock.now()
        assert stored.attempts == 1
        assert stored.gateway_message_id == sent.message_id
    assert gateway.sent[0].text.startswith("CivicID: hồ sơ định danh điện tử mức 2")


def test_limit_takes_oldest_first(database: Database, clock: FixedClock) -> None:
    queue(database, clock, "first")
    clock.advance(dt.timedelta(seconds=1))
    queue(database, clock, "second")
    gateway = RecordingSmsGateway()
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway, limit=1) == 1
    assert [s.idempotency_key for s in gateway.sent] == ["first"]


def test_failure_retries_with_backoff_then_sent(database: Database, clock: FixedClock) -> None:
    notification_id = queue(database, clock, "k")
    gateway = RecordingSmsGateway()
    gateway.fail_next(2)
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 0
    stored = row(database, notification_id)
    assert stored.state is NotificationState.QUEUED
    assert stored.attempts == 1
    assert stored.next_attempt_at == clock.now() + backoff(1)
    assert stored.last_error == "simulated gateway failure"

    # Not due yet: nothing is attempted.
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 0
    assert row(database, notification_id).attempts == 1

    clock.advance(backoff(1))
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 0
    stored = row(database, notification_id)
    assert stored.attempts == 2
    assert stored.next_attempt_at == clock.now() + backoff(2)

    clock.advance(backoff(2))
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 1
    stored = row(database, notification_id)
    assert stored.state is NotificationState.SENT
    assert stored.attempts == 3
    assert stored.last_error is None
    assert len(gateway.sent) == 1


def test_gives_up_after_the_last_attempt(database: Database, clock: FixedClock) -> None:
    notification_id = queue(database, clock, "k")
    gateway = RecordingSmsGateway()
    gateway.fail_next(MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS):
        dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway)
        clock.advance(dispatcher.BACKOFF_MAX)
    stored = row(database, notification_id)
    assert stored.state is NotificationState.FAILED
    assert stored.attempts == MAX_ATTEMPTS
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 0
    assert gateway.sent == []


def test_crash_after_claim_resends_after_the_lease(database: Database, clock: FixedClock) -> None:
    """At least once: a dispatcher that died after claiming leaves the message to be sent again."""
    notification_id = queue(database, clock, "k")

    class Crash(Exception):
        pass

    class CrashingGateway:
        def send(self, *, to: str, text: str, idempotency_key: str) -> str:
            raise Crash

    with pytest.raises(Crash):
        dispatch_pending(sessions=database.sessions, clock=clock, gateway=CrashingGateway())
    gateway = RecordingSmsGateway()
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 0
    clock.advance(CLAIM_LEASE)
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 1
    assert [s.idempotency_key for s in gateway.sent] == ["k"]
    assert row(database, notification_id).attempts == 2


def test_dispatch_to_the_file_gateway(database: Database, clock: FixedClock, tmp_path: Path) -> None:
    queue(database, clock, "k")
    path = tmp_path / "sms-outbox.jsonl"
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=FileSmsGateway(path, clock=clock)) == 1
    assert '"idempotency_key": "k"' in path.read_text(encoding="utf-8")


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(100) == dispatcher.BACKOFF_MAX


def test_claimed_rows_are_skipped_by_another_dispatcher(database: Database, clock: FixedClock) -> None:
    """On PostgreSQL a batch locked by one dispatcher is skipped by another (SKIP LOCKED)."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    queue(database, clock, "k")
    with unit_of_work(database.sessions) as holding:
        holding.scalars(select(Notification).with_for_update()).all()
        gateway = RecordingSmsGateway()
        assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 0
    assert dispatch_pending(sessions=database.sessions, clock=clock, gateway=gateway) == 1


def test_an_sms_sent_while_the_database_went_away_is_recorded_and_not_sent_again(
    database: Database, clock: FixedClock
) -> None:
    """The gateway accepted the first of the batch, then the database stopped answering."""
    ids = [queue(database, clock, f"k{n}", to=f"091234567{n}") for n in range(3)]
    sessions = FlakySessions(database.engine)

    class GatewayThenOutage(RecordingSmsGateway):
        def send(self, *, to: str, text: str, idempotency_key: str) -> str:
            message_id = super().send(to=to, text=text, idempotency_key=idempotency_key)
            sessions.down = True
            return message_id

    gateway = GatewayThenOutage()
    outbox = Dispatcher(sessions=sessions, clock=clock, gateway=gateway)
    with pytest.raises(OperationalError):
        outbox.dispatch()
    assert [s.idempotency_key for s in gateway.sent] == ["k0"]  # no more sent that could not be recorded
    with pytest.raises(OperationalError):
        outbox.dispatch()  # still away: nothing claimed, nothing sent, nothing forgotten

    sessions.down = False
    accepted_at = clock.now()
    clock.advance(dt.timedelta(seconds=30))
    gateway = RecordingSmsGateway()
    outbox.gateway = gateway
    assert outbox.dispatch() == 2  # at once: the rest of the batch does not wait for its lease
    assert [s.idempotency_key for s in gateway.sent] == ["k1", "k2"]
    stored = [row(database, notification_id) for notification_id in ids]
    assert [(s.state, s.attempts) for s in stored] == [(NotificationState.SENT, 1)] * 3
    assert stored[0].sent_at == accepted_at
    assert outbox.dispatch() == 0
