"""The outbox table: one row per message to send, kept after sending as the record of what was sent."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum


class Channel(StrEnum):
    SMS = "sms"


class NotificationState(StrEnum):
    QUEUED = "queued"  # waiting for its first or next attempt (``next_attempt_at``)
    SENT = "sent"  # the gateway accepted it
    FAILED = "failed"  # given up after the last attempt


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        # The dispatcher's query: what is due, oldest first.
        Index("ix_notification_due", "state", "next_attempt_at"),
        Index("ix_notification_related", "related_type", "related_id"),
        # Staff bound to a commune see its messages only (decision 0065).
        Index("ix_notification_commune", "commune_code", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    # Personal data: never logged, masked on every page.
    recipient: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(5))
    # The text as sent, in ``language``, and the same message in English for staff who read English.
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    related_type: Mapped[str] = mapped_column(String(40))
    related_id: Mapped[str] = mapped_column(String(64))
    # The commune of the person the message is about; None (older rows) shows to unscoped staff only.
    commune_code: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[NotificationState] = mapped_column(str_enum(NotificationState))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    gateway_message_id: Mapped[str | None] = mapped_column(String(100))
    # The caller's name for this message ("application_approved:<application id>"): queuing it again is
    # a no-op, which the unique constraint enforces even between concurrent transactions.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
