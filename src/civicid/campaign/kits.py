"""What the server knows of each field kit: its assignment version and its last sync.

The dashboard shows, for each team and kit, when it last synced and how old its oldest unsent
capture is: a kit that has not synced for two days in a village without signal is the first
thing a committee asks about (field-campaign.md §8.2, "last sync, oldest unsent item").
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicid.campaign.errors import InvalidCampaignInput
from civicid.campaign.models import KitState
from civicid.core.clock import Clock
from civicid.core.database import insert_if_absent


def record_kit_sync(
    *, session: Session, clock: Clock, device_id: str, pending_captures: int, oldest_unsent_at: dt.datetime | None
) -> None:
    """The kit synced now, with ``pending_captures`` still unsent, the oldest captured at ``oldest_unsent_at``."""
    if pending_captures < 0:
        raise InvalidCampaignInput("pending_captures cannot be negative", field="pending_captures")
    if oldest_unsent_at is not None and oldest_unsent_at.tzinfo is None:
        raise InvalidCampaignInput("oldest_unsent_at needs a time zone", field="oldest_unsent_at")
    _ensure(session, device_id)
    session.execute(
        update(KitState)
        .where(KitState.device_id == device_id)
        .values(
            last_sync_at=clock.now(),
            pending_captures=pending_captures,
            oldest_unsent_at=oldest_unsent_at if pending_captures else None,
        )
    )


def assignment_version(*, session: Session, device_id: str) -> int:
    """The kit's assignment version; 0 for a kit never assigned."""
    return session.scalar(select(KitState.assignment_version).where(KitState.device_id == device_id)) or 0


def bump_assignment_version(*, session: Session, device_id: str) -> None:
    """One more change to the kit's assignments (an atomic increment: concurrent changes both count)."""
    _ensure(session, device_id)
    session.execute(
        update(KitState)
        .where(KitState.device_id == device_id)
        .values(assignment_version=KitState.assignment_version + 1)
    )


def _ensure(session: Session, device_id: str) -> None:
    insert_if_absent(
        session,
        KitState,
        {"device_id": device_id, "assignment_version": 0, "pending_captures": 0},
        index_elements=["device_id"],
    )
