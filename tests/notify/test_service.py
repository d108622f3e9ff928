"""Queuing SMS in the outbox: once per idempotency key, in the caller's transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from tests.factories import queue_approved_sms

from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Database
from civicid.notify import service
from civicid.notify.errors import InvalidRecipient, UnknownTemplate
from civicid.notify.models import Notification, NotificationState
from civicid.notify.schemas import mask_phone

APPROVED_VI = "CivicID: hồ sơ định danh điện tử mức 2 của bạn đã được duyệt. Mở ứng dụng để kích hoạt tài khoản."


def queue(database: Database, clock: FixedClock, key: str = "application_approved:A1", to: str = "0912345678") -> str:
    with unit_of_work(database.sessions) as session:
        return queue_approved_sms(session, clock, "A1", to=to, idempotency_key=key).id


def count(database: Database) -> int:
    with unit_of_work(database.sessions) as session:
        return session.scalar(select(func.count()).select_from(Notification)) or 0


class TestQueueSms:
    def test_queued_in_vietnamese_with_english(self, database: Database, clock: FixedClock) -> None:
        with unit_of_work(database.sessions) as session:
            queued = service.queue_sms(
                session=session,
                clock=clock,
                to="+84 912 345 678",
                template="application_approved",
                params={},
                related_type="application",
                related_id="A1",
                idempotency_key="application_approved:A1",
            )
        assert queued.recipient == "0912345678"
        assert queued.text == APPROVED_VI
        assert queued.text_en.startswith("CivicID: your level-2 e-ID application was approved.")
        assert queued.state is NotificationState.QUEUED
        assert queued.attempts == 0
        assert queued.next_attempt_at == clock.now()

    def test_same_key_twice_is_one_row(self, database: Database, clock: FixedClock) -> None:
        first = queue(database, clock)
        second = queue(database, clock, to="0987654321")
        assert first == second
        assert count(database) == 1

    def test_same_key_twice_in_one_transaction(self, database: Database, clock: FixedClock) -> None:
        with unit_of_work(database.sessions) as session:
            ids = {queue_approved_sms(session, clock, "A1", idempotency_key="k").id for _ in range(2)}
        assert len(ids) == 1
        assert count(database) == 1

    def test_rolled_back_cause_sends_nothing(self, database: Database, clock: FixedClock) -> None:
        def approve_then_fail() -> None:
            with unit_of_work(database.sessions) as session:
                queue_approved_sms(session, clock, "A1", idempotency_key="k")
                raise RuntimeError("the approval failed")

        with pytest.raises(RuntimeError):
            approve_then_fail()
        assert count(database) == 0

    def test_unknown_template(self, database: Database, clock: FixedClock) -> None:
        with pytest.raises(UnknownTemplate), unit_of_work(database.sessions) as session:
            service.queue_sms(
                session=session,
                clock=clock,
                to="0912345678",
                template="no_such_template",
                params={},
                related_type="application",
                related_id="A1",
                idempotency_key="k",
            )

    def test_missing_parameter(self, database: Database, clock: FixedClock) -> None:
        with pytest.raises(UnknownTemplate, match="code"), unit_of_work(database.sessions) as session:
            service.queue_sms(
                session=session,
                clock=clock,
                to="0912345678",
                template="activation_code",
                params={"minutes": "5"},
                related_type="account",
                related_id="X",
                idempotency_key="k",
            )

    @pytest.mark.parametrize("to", ["", "12345", "091234567a"])
    def test_bad_recipient(self, database: Database, clock: FixedClock, to: str) -> None:
        with pytest.raises(InvalidRecipient), unit_of_work(database.sessions) as session:
            queue_approved_sms(session, clock, "A1", to=to, idempotency_key="k")


def test_list_sms_masks_and_orders(database: Database, clock: FixedClock) -> None:
    queue(database, clock, key="a", to="0912345678")
    clock.advance(dt.timedelta(minutes=1))
    queue(database, clock, key="b", to="0987654321")
    with unit_of_work(database.sessions) as session:
        listed = service.list_sms(session=session)
        related = service.notifications_for(session=session, related_type="application", related_id="A1")
    assert [m.recipient_masked for m in listed] == ["09******21", "09******78"]
    assert "recipient" not in listed[0].model_dump()
    assert len(related) == 2


@pytest.mark.parametrize(("phone", "masked"), [("0912345678", "09******78"), ("123", "***"), ("12345", "12*45")])
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
