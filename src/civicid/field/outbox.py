"""The outbox state machine and its retry schedule, as pure functions (property-tested).

A capture moves only forward through :class:`~civicid.field.models.OutboxState`, driven by three
kinds of event: the supervisor's review on the kit, the upload, and what the server says (an intake
receipt or a status in the down-sync). The server is the arbiter: whatever it says of an
application wins over what the kit believed, except that the kit never moves backwards (a late or
duplicated answer describing an earlier step changes nothing).

"Nothing is deleted before the server acknowledges it": a part's sealed file goes only when a receipt
says the server holds the whole part (:func:`part_acknowledged`), and the item itself is kept for the
operator's history; "the outbox" is what still holds data the server lacks (:func:`is_unsent`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from enum import StrEnum

from civicid.field.models import OutboxState
from civicid.protocol.codes import ApplicationStatus

S = OutboxState

# The order states are reached in; a transition never goes to an earlier rank.
_RANK = {
    S.CAPTURED: 0,
    S.APPROVED_ON_DEVICE: 1,
    S.UPLOADING: 2,
    S.UPLOADED: 3,
    S.ACCEPTED: 4,
    S.NEEDS_CORRECTION: 4,
    S.REJECTED: 4,
}
FINAL = frozenset({S.ACCEPTED, S.NEEDS_CORRECTION, S.REJECTED})
SENDABLE = frozenset({S.APPROVED_ON_DEVICE, S.UPLOADING, S.UPLOADED})
"""States in which the sync may still have something to send (UPLOADED: later-priority parts)."""

# The server's application statuses (protocol/codes.py) as the kit reads them, by their value on the wire.
_SERVER_STATUS: dict[str, OutboxState] = {
    ApplicationStatus.RECEIVING: S.UPLOADING,
    ApplicationStatus.PROCESSING: S.UPLOADED,
    ApplicationStatus.SUSPECTED_DUPLICATE: S.UPLOADED,
    ApplicationStatus.AWAITING_APPROVAL: S.UPLOADED,
    ApplicationStatus.ISSUED: S.ACCEPTED,
    ApplicationStatus.NEEDS_CORRECTION: S.NEEDS_CORRECTION,
    ApplicationStatus.INELIGIBLE: S.NEEDS_CORRECTION,
    ApplicationStatus.REJECTED: S.REJECTED,
    ApplicationStatus.REJECTED_DUPLICATE: S.REJECTED,
    ApplicationStatus.REJECTED_INTEGRITY: S.REJECTED,
}


class Review(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


def after_review(state: OutboxState, review: Review) -> OutboxState | None:
    """The state after the supervisor's end-of-day review on the kit; ``None`` if not reviewable."""
    if state is not S.CAPTURED:
        return None
    return S.APPROVED_ON_DEVICE if review is Review.APPROVE else S.REJECTED


def after_send_started(state: OutboxState) -> OutboxState:
    """Sending begins (or resumes): an approved capture is now uploading; other states stay."""
    return S.UPLOADING if state is S.APPROVED_ON_DEVICE else state


def after_server_status(state: OutboxState, server_status: str | None) -> OutboxState:
    """What the server's status for the application makes of the kit's state (never backwards).

    ``None`` is "the server knows nothing yet" (no envelope arrived), as good as ``receiving``.
    """
    if state is S.CAPTURED:
        return state  # not sent: the server cannot know it yet
    target = _SERVER_STATUS.get(server_status or "receiving")
    if target is None:
        return state  # a status this kit does not know: keep what it has, the next sync asks again
    return target if _RANK[target] > _RANK[state] else state


def is_unsent(state: OutboxState, parts_on_kit: int) -> bool:
    """Does the kit still hold data the server lacks? Captures waiting for review count too."""
    if state in {S.CAPTURED, S.APPROVED_ON_DEVICE, S.UPLOADING}:
        return True
    return state in {S.UPLOADED, S.ACCEPTED} and parts_on_kit > 0


def keeps_parts(state: OutboxState) -> bool:
    """Are the sealed parts still wanted? Not once the application was refused, on the kit or by the server."""
    return state not in {S.REJECTED, S.NEEDS_CORRECTION}


@dataclass(frozen=True)
class RetrySchedule:
    """Retry forever, with exponentially growing delays and jitter (AWS's "equal jitter").

    Half the delay is fixed and half is random, so kits that lost the signal together do not all
    come back in the same second, and none waits longer than ``cap``.
    """

    base: dt.timedelta = dt.timedelta(seconds=10)
    cap: dt.timedelta = dt.timedelta(minutes=30)

    def delay(self, attempts: int, rng: random.Random) -> dt.timedelta:
        ceiling = min(self.cap, self.base * (2 ** min(max(attempts - 1, 0), 30)))
        half: dt.timedelta = ceiling / 2
        return half + half * rng.random()
