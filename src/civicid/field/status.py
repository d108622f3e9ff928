"""The kit's state at a glance: its outbox by state and its guard-rails (``civicid field status``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.field import guardrails
from civicid.field.capture import condition_of, unsent_captures
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, KitVisit, OutboxItem, OutboxPart, OutboxState


def kit_status(*, kit: Kit, session: Session, clock: Clock) -> dict[str, Any]:
    identity = session.get(KitIdentity, 1)
    assert identity is not None  # noqa: S101 - Kit.open checked it
    by_state = {state.value: 0 for state in OutboxState}
    for state, count in session.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state)):
        by_state[state.value] = count
    unsent = unsent_captures(session)
    later_bytes = session.scalar(
        select(func.coalesce(func.sum(OutboxPart.size - OutboxPart.sent_bytes), 0))
        .join(OutboxItem, OutboxItem.application_id == OutboxPart.application_id)
        .where(
            OutboxPart.on_server.is_(False),
            OutboxItem.state.not_in([OutboxState.REJECTED, OutboxState.NEEDS_CORRECTION]),
        )
    )
    condition = condition_of(kit, session, clock, unsent=len(unsent))
    rails = guardrails.rails_of(identity.guardrails)
    refusals = guardrails.check(rails, condition)
    return {
        "device_id": identity.device_id,
        "commune_code": identity.commune_code,
        "server_url": identity.server_url,
        "outbox": {
            "by_state": by_state,
            "unsent": len(unsent),
            "oldest_unsent_at": unsent[0] if unsent else None,
            "bytes_on_kit": int(later_bytes or 0),
        },
        "visits_unsent": session.scalar(select(func.count()).where(KitVisit.synced.is_(False))),
        "sync": {
            "last_sync_at": identity.last_sync_at,
            "next_sync_at": identity.next_sync_at,
            "failed_attempts": identity.sync_attempts,
            "last_error": identity.last_sync_error,
            "assignment_version": identity.assignment_version,
        },
        "guardrails": {
            "captures_allowed": not refusals,
            "refusals": [{"rail": r.rail.value, "message": r.message} for r in refusals],
            "limits": rails.model_dump(),
            "days_since_sync": _days(clock.now() - (condition.last_sync_at or condition.created_at)),
            "unsent_captures": condition.unsent_captures,
            "free_disk_mb": round(condition.free_disk_mb),
            "clock_drift_minutes": None
            if condition.clock_drift is None
            else round(condition.clock_drift.total_seconds() / 60, 1),
        },
    }


def _days(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)
