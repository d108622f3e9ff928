"""The supervisor's end-of-day review on the kit: approve what goes to the server, or reject it.

Maker-checker applies on the kit as on the server: whoever captured an application may not approve
it. A rejection drops the sealed parts (they will never be sent) and keeps the reason for the
operator; the person can be captured again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.field.errors import InvalidCapture, MakerChecker, NotOnThisKit, OutboxTransitionRefused
from civicid.field.kit import Kit
from civicid.field.models import KitOperator, OperatorRole, OutboxItem
from civicid.field.outbox import Review, after_review


def review(
    *,
    kit: Kit,
    session: Session,
    clock: Clock,
    supervisor: KitOperator,
    application_id: str,
    decision: Review,
    reason: str | None = None,
) -> OutboxItem:
    if supervisor.role is not OperatorRole.SUPERVISOR:
        raise MakerChecker("only a supervisor reviews captures")
    item = session.get(OutboxItem, application_id)
    if item is None:
        raise NotOnThisKit(f"no capture {application_id} on this kit")
    if item.operator == supervisor.username and decision is Review.APPROVE:
        raise MakerChecker("whoever captured an application may not approve it")
    target = after_review(item.state, decision)
    if target is None:
        raise OutboxTransitionRefused(
            f"capture {item.short_code} is {item.state.value}; only captured ones are reviewed"
        )
    if decision is Review.REJECT:
        reason = (reason or "").strip()
        if len(reason) < 3:
            raise InvalidCapture("a rejection needs a reason the operator can act on", field="reason")
        item.server_message = reason
        kit.remove_sealed_after_commit(session, item.application_id)
    item.state, item.reviewed_by, item.reviewed_at = target, supervisor.username, clock.now()
    return item
