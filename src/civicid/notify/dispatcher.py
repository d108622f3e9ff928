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
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.outage import is_outage
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


class _Claimed(NamedTuple):
    id: str
    recipient: str
    text: str
    idempotency_key: str
    attempts: int


class _Accepted(NamedTuple):
    notification_id: str
    message_id: str
    at: dt.datetime


@dataclass(frozen=True)
class _Unsettled:
    """What a batch cut short by a database outage could not record, kept until the database answers."""

    lease_until: dt.datetime
    sent: list[_Accepted]  # accepted by the gateway, not yet marked sent
    tried: list[_Claimed]  # refused by the gateway: queued again, the attempt counted
    untried: list[_Claimed]  # never sent: queued again, the attempt given back


class Dispatcher:
    """Sends the outbox; across a database outage it remembers what it could not record.

    A message the gateway accepted while the database was away is marked sent by the first
    :meth:`dispatch` once the database answers, instead of being sent again when its lease runs
    out; the rest of the cut batch is queued again at once. (A dispatcher that dies meanwhile
    leaves them to their leases: at least once, as above.)
    """

    def __init__(self, *, sessions: sessionmaker[Session], clock: Clock, gateway: SmsGateway) -> None:
        self.sessions = sessions
        self.clock = clock
        self.gateway = gateway
        self._unsettled: _Unsettled | None = None

    def dispatch(self, limit: int = 100) -> int:
        """Send up to ``limit`` due SMS; return how many the gateway accepted.

        A database outage stops the batch (no more is sent that could not be recorded) and is raised.
        """
        self.settle()
        now = self.clock.now()
        lease_until = now + CLAIM_LEASE
        with unit_of_work(self.sessions) as session:
            claimed = [
                _Claimed(row.id, row.recipient, row.text, row.idempotency_key, row.attempts)
                for row in repository.claim_due(session, now=now, lease_until=lease_until, limit=limit)
            ]
        sent = 0
        for position, message in enumerate(claimed):
            outcome = self._send(message)
            try:
                self._record(message, outcome)
            except Exception as exc:
                if is_outage(exc):
                    self._unsettled = _unsettled(lease_until, message, outcome, untried=claimed[position + 1 :])
                raise
            sent += not isinstance(outcome, SmsGatewayError)
        return sent

    def settle(self) -> None:
        """Record what an outage left unrecorded (a no-op when nothing is)."""
        unsettled = self._unsettled
        if unsettled is None:
            return
        requeued = [(m.id, m.attempts, 0) for m in unsettled.tried] + [(m.id, m.attempts, 1) for m in unsettled.untried]
        with unit_of_work(self.sessions) as session:
            for accepted in unsettled.sent:
                repository.mark_sent(session, accepted.notification_id, at=accepted.at, message_id=accepted.message_id)
            repository.requeue_claimed(session, requeued, lease_until=unsettled.lease_until, at=self.clock.now())
        self._unsettled = None

    def _send(self, message: _Claimed) -> _Accepted | SmsGatewayError:
        try:
            message_id = self.gateway.send(
                to=message.recipient, text=message.text, idempotency_key=message.idempotency_key
            )
        except SmsGatewayError as exc:
            return exc
        return _Accepted(message.id, message_id, self.clock.now())

    def _record(self, message: _Claimed, outcome: _Accepted | SmsGatewayError) -> None:
        if isinstance(outcome, SmsGatewayError):
            _record_failure(self.sessions, self.clock, message.id, message.attempts, str(outcome))
            return
        with unit_of_work(self.sessions) as session:
            repository.mark_sent(session, message.id, at=outcome.at, message_id=outcome.message_id)


def _unsettled(
    lease_until: dt.datetime, message: _Claimed, outcome: _Accepted | SmsGatewayError, *, untried: list[_Claimed]
) -> _Unsettled:
    if isinstance(outcome, SmsGatewayError):
        return _Unsettled(lease_until, sent=[], tried=[message], untried=untried)
    return _Unsettled(lease_until, sent=[outcome], tried=[], untried=untried)


def dispatch_pending(*, sessions: sessionmaker[Session], clock: Clock, gateway: SmsGateway, limit: int = 100) -> int:
    """Send up to ``limit`` due SMS through ``gateway``; return how many the gateway accepted."""
    return Dispatcher(sessions=sessions, clock=clock, gateway=gateway).dispatch(limit)


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
