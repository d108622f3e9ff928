"""SMS in the outbox, queued as the pipeline's issue stage queues them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.notify import service as notify
from civicid.notify.schemas import NotificationRead

from .registry import COMMUNE


def queue_approved_sms(
    session: Session,
    clock: Clock,
    application_id: str,
    *,
    to: str = "0912345678",
    idempotency_key: str | None = None,
    commune_code: str | None = COMMUNE,
) -> NotificationRead:
    """The SMS that tells a citizen their application was approved, queued in the caller's transaction.

    It is about a person of ``commune_code`` (the factories' commune, whose staff see it).
    """
    return notify.queue_sms(
        session=session,
        clock=clock,
        to=to,
        template="application_approved",
        params={},
        related_type="application",
        related_id=application_id,
        idempotency_key=idempotency_key or f"application_approved:{application_id}",
        commune_code=commune_code,
    )
