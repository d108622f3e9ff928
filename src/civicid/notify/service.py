"""The outbox's service functions: the only way other capabilities queue or read messages.

``queue_sms`` writes in the caller's transaction, so a message leaves only if its cause commits
(DESIGN.md decision 2; style page §9 "Transactions and side effects").
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.notify import messages, repository
from civicid.notify.errors import InvalidRecipient
from civicid.notify.models import Channel, NotificationState
from civicid.notify.schemas import NotificationRead, SmsRead
from civicid.registry.schemas import normalise_phone

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
            "state": NotificationState.QUEUED,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "idempotency_key": idempotency_key,
        },
    )
    return NotificationRead.model_validate(repository.get_by_key(session, idempotency_key))


def list_sms(
    *,
    session: Session,
    limit: int = 100,
    related_type: str | None = None,
    related_id: str | None = None,
) -> list[SmsRead]:
    """The most recent SMS first, recipients masked: what staff may see of the outbox."""
    rows = repository.list_recent(
        session,
        channel=Channel.SMS,
        limit=max(1, min(limit, LIST_LIMIT_MAX)),
        related_type=related_type,
        related_id=related_id,
    )
    return [SmsRead.of(NotificationRead.model_validate(row)) for row in rows]


def notifications_for(*, session: Session, related_type: str, related_id: str) -> list[NotificationRead]:
    """Every message queued about one object (an application, an account), newest first, unmasked."""
    rows = repository.list_recent(
        session, channel=Channel.SMS, limit=LIST_LIMIT_MAX, related_type=related_type, related_id=related_id
    )
    return [NotificationRead.model_validate(row) for row in rows]
