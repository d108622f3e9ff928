"""Sending what the outbox holds: claim, send, record, each step in its own short transaction.

Delivery is **at least once**. A batch is claimed first (the attempt counted and the rows hidden
until a lease runs out), then sent with no transaction open, then each result is recorded. A crash
after the gateway accepted a message and before it was marked sent leaves it queued; it is sent
again when the lease ends, with the same idempotency key, so a gateway that deduplicates on the key
delivers it once. Failures are retried with exponential backoff up to :data:`MAX_ATTEMPTS`.

Recipients' numbers are personal data and never appear in a log line or an error stored here.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.orm import Session, sessionmaker

from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.notify import repository
from civicid.notify.errors import SmsGatewayError
from civicid.notify.models import NotificationState
from civicid.notify.ports import SmsGateway

logger = logging.getLogger("civicid.notify")

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
# Longer than a batch takes to send; a batch claimed by a dispatcher that died is retried after it.
CLAIM_LEASE = dt.timedelta(minutes=10)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: 30 s, 1 min, 2 min, … at most 1 h."""
    return min(BACKOFF_BASE * (1 << min(max(attempts - 1, 0), 16)), BACKOFF_MAX)


def dispatch_pending(*, sessions: sessionmaker[Session], clock: Clock, gateway: SmsGateway, limit: int = 100) -> int:
    """Send up to ``limit`` due SMS through ``gateway``; return how many the gateway accepted."""
    now = clock.now()
    with unit_of_work(sessions) as session:
        claimed = [
            (row.id, row.recipient, row.text, row.idempotency_key, row.attempts)
            for row in repository.claim_due(session, now=now, lease_until=now + CLAIM_LEASE, limit=limit)
        ]
    sent = 0
    for notification_id, recipient, text, key, attempts in claimed:
        try:
            message_id = gateway.send(to=recipient, text=text, idempotency_key=key)
        except SmsGatewayError as exc:
            _record_failure(sessions, clock, notification_id, attempts, str(exc))
            continue
        with unit_of_work(sessions) as session:
            repository.mark_sent(session, notification_id, at=clock.now(), message_id=message_id)
        sent += 1
    return sent


def _record_failure(
    sessions: sessionmaker[Session], clock: Clock, notification_id: str, attempts: int, error: str
) -> None:
    now = clock.now()
    final = attempts >= MAX_ATTEMPTS
    state = NotificationState.FAILED if final else NotificationState.QUEUED
    retry_at = now if final else now + backoff(attempts)
    with unit_of_work(sessions) as session:
        repository.mark_failed(session, notification_id, state=state, retry_at=retry_at, error=error)
    logger.warning("SMS %s attempt %d failed: %s%s", notification_id, attempts, error, " (giving up)" if final else "")
