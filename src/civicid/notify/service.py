"""The outbox's service functions: the only way other capabilities queue or read messages.

``queue_sms`` writes in the caller's transaction, so a message leaves only if its cause commits
(DESIGN.md decision 2; style page §9 "Transactions and side effects").
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.country.phone import normalise_phone
from civicid.notify import messages, repository
from civicid.notify.errors import InvalidRecipient
from civicid.notify.models import Channel, NotificationState
from civicid.notify.schemas import NotificationRead, SmsRead

LIST_LIMIT_MAX = 500


def queue_sms(
    *,
    session: Session,
    clock: Clock,
    to: str,
    template: str,
    params: dict[str, str],
    related_type: str,
    related_id: str,
    idempotency_key: str,
    language: str = messages.DEFAULT_LANGUAGE,
    commune_code: str | None = None,
) -> NotificationRead:
    """Queue one SMS from the catalogue, once per ``idempotency_key``.

    Queuing again with a key already used returns the message queued first, whatever else differs:
    the key names the event ("application_approved:<id>"), not the text.
    """
    try:
        recipient = normalise_phone(to)
    except ValueError as exc:
        raise InvalidRecipient(str(exc)) from None
    if recipient is None:
        raise InvalidRecipient("an SMS needs a phone number")
    if language not in messages.LANGUAGES:
        language = messages.DEFAULT_LANGUAGE
    now = clock.now()
    repository.insert_if_new(
        session,
        {
            "id": new_id(),
            "channel": Channel.SMS,
            "recipient": recipient,
            "template": template,
            "language": language,
            "text": messages.render(template, params, language),
            "text_en": messages.render(template, params, "en"),
            "related_type": related_type,
            "related_id": related_id,
            "commune_code": commune_code,
            "state": NotificationState.QUEUED,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "idempotency_key": idempotency_key,
        },
    )
    return NotificationRead.model_validate(repository.get_by_key(session, idempotency_key))


@dataclass(frozen=True)
class SmsRequest:
    """One SMS of :func:`queue_sms_many`, in the catalogue's default language with no parameters."""

    to: str
    template: str
    related_type: str
    related_id: str
    idempotency_key: str
    commune_code: str | None = None


def queue_sms_many(*, session: Session, clock: Clock, messages: Sequence[SmsRequest]) -> None:
    """:func:`queue_sms` for many messages in one INSERT; a key already used keeps its first message.

    For the pipeline's set-based issue stage (docs/decisions/0020-set-based-stages.md).
    """
    if not messages:
        return
    now = clock.now()
    rows = [_sms_row(m, now) for m in messages]
    repository.insert_many_if_new(session, rows)


def _sms_row(message: SmsRequest, now: dt.datetime) -> dict[str, object]:
    try:
        recipient = normalise_phone(message.to)
    except ValueError as exc:
        raise InvalidRecipient(str(exc)) from None
    if recipient is None:
        raise InvalidRecipient("an SMS needs a phone number")
    language = messages.DEFAULT_LANGUAGE
    return {
        "id": new_id(),
        "channel": Channel.SMS,
        "recipient": recipient,
        "template": message.template,
        "language": language,
        "text": _render(message.template, language),
        "text_en": _render(message.template, "en"),
        "related_type": message.related_type,
        "related_id": message.related_id,
        "commune_code": message.commune_code,
        "state": NotificationState.QUEUED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "idempotency_key": message.idempotency_key,
    }


@functools.lru_cache(maxsize=64)
def _render(template: str, language: str) -> str:
    return messages.render(template, {}, language)


def list_sms(
    *,
    session: Session,
    limit: int = 100,
    offset: int = 0,
    related_type: str | None = None,
    related_id: str | None = None,
    state: NotificationState | None = None,
    template: str | None = None,
    reveal_codes: bool = False,
    commune_code: str | None = None,
) -> list[SmsRead]:
    """The most recent SMS first, recipients masked: what staff may see of the outbox; a page of it
    from ``offset``, in one ``state`` or of one ``template`` when given.

    ``reveal_codes`` shows one-time codes: only the demo does, whose phones are simulated.
    ``commune_code`` keeps the messages about that commune's people (staff bound to it).
    """
    rows = repository.list_recent(
        session,
        channel=Channel.SMS,
        limit=max(1, min(limit, LIST_LIMIT_MAX)),
        offset=max(0, offset),
        related_type=related_type,
        related_id=related_id,
        commune_code=commune_code,
        state=state,
        template=template,
    )
    return [SmsRead.of(NotificationRead.model_validate(row), reveal_codes=reveal_codes) for row in rows]


def count_sms(
    *,
    session: Session,
    state: NotificationState | None = None,
    template: str | None = None,
    commune_code: str | None = None,
) -> int:
    """How many SMS the same filters select (``commune_code``: as :func:`list_sms`)."""
    return repository.count_recent(
        session, channel=Channel.SMS, state=state, template=template, commune_code=commune_code
    )


def sms_templates(*, session: Session, commune_code: str | None = None) -> list[str]:
    """The templates found in the SMS outbox (the page's filter offers them)."""
    return repository.templates_used(session, channel=Channel.SMS, commune_code=commune_code)


def notifications_for(*, session: Session, related_type: str, related_id: str) -> list[NotificationRead]:
    """Every message queued about one object (an application, an account), newest first, unmasked."""
    rows = repository.list_recent(
        session, channel=Channel.SMS, limit=LIST_LIMIT_MAX, related_type=related_type, related_id=related_id
    )
    return [NotificationRead.model_validate(row) for row in rows]
