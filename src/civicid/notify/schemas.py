"""What the outbox returns (pydantic), separate from its table."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict

from civicid.notify.messages import CATALOGUE
from civicid.notify.models import Channel, NotificationState


def mask_phone(phone: str) -> str:
    """``0912345678`` → ``09******78``: enough to tell numbers apart on a screen, not to dial one."""
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]


# Messages that carry a one-time code: staff never see the code (it would let them act as the holder).
CODE_TEMPLATES = frozenset(name for name, message in CATALOGUE.items() if message.secret)
_CODE = re.compile(r"\b\d{6}\b")


def mask_codes(template: str, text: str) -> str:
    return _CODE.sub("••••••", text) if template in CODE_TEMPLATES else text


class NotificationRead(BaseModel):
    """One outbox row, for services (it holds the full recipient number: not for the API)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    channel: Channel
    recipient: str
    template: str
    language: str
    text: str
    text_en: str
    related_type: str
    related_id: str
    state: NotificationState
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    gateway_message_id: str | None
    idempotency_key: str


class SmsRead(BaseModel):
    """An SMS as staff see it: the recipient masked."""

    id: str
    recipient_masked: str
    template: str
    language: str
    text: str
    text_en: str
    related_type: str
    related_id: str
    state: NotificationState
    attempts: int
    created_at: dt.datetime
    sent_at: dt.datetime | None

    @classmethod
    def of(cls, notification: NotificationRead, *, reveal_codes: bool = False) -> SmsRead:
        """As staff see it; ``reveal_codes`` only for the demo's simulated gateway (no real phone behind it)."""
        shown = (lambda _template, text: text) if reveal_codes else mask_codes
        return cls(
            recipient_masked=mask_phone(notification.recipient),
            text=shown(notification.template, notification.text),
            text_en=shown(notification.template, notification.text_en),
            **notification.model_dump(
                include={
                    "id",
                    "template",
                    "language",
                    "related_type",
                    "related_id",
                    "state",
                    "attempts",
                    "created_at",
                    "sent_at",
                }
            ),
        )
