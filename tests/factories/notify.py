"""SMS in the outbox, queued as the pipeline's issue stage queues them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.notify import service as notify
from civicid.notify.schemas import NotificationRead


def queue_approved_sms(
    session: Session, clock: Clock, application_id: str, *, to: str = "0912345678", idempotency_key: str | None = None
) -> NotificationRead:
    """The SMS that tells a citizen their application was approved, queued in the caller's transaction."""
    return notify.queue_sms(
        session=session,
        clock=clock,
        to=to,
        template="application_approved",
        params={},
        related_type="application",
        related_id=application_id,
        idempotency_key=idempotency_key or f"application_approved:{application_id}",
    )
