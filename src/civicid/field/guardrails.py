"""When the kit refuses new captures (MOSIP's registration-client guard-rails, configurable).

A kit that has not synced for days, holds too many unsent captures, runs out of disk or has a clock
far from the server's is a kit whose captures are at risk: of being lost with the kit, of being
refused for their timestamps, of not being written at all. Each refusal says why and what to do,
in the operator's words; the supervisor sees the same on the kit's status page and in
``civicid field status``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class GuardRails(BaseModel):
    """The limits; a deployment overrides them per kit (``civicid field init --max-unsynced-days``…)."""

    model_config = ConfigDict(extra="forbid")

    max_days_without_sync: float = Field(default=3, gt=0)
    max_unsent_captures: int = Field(default=300, gt=0)
    min_free_disk_mb: float = Field(default=200, ge=0)
    max_clock_drift_minutes: float = Field(default=30, gt=0)


class Rail(StrEnum):
    DAYS_WITHOUT_SYNC = "days_without_sync"
    UNSENT_CAPTURES = "unsent_captures"
    FREE_DISK = "free_disk"
    CLOCK_DRIFT = "clock_drift"


@dataclass(frozen=True)
class Refusal:
    rail: Rail
    message: str  # why, and what to do


@dataclass(frozen=True)
class KitCondition:
    """What the guard-rails look at, read once from the kit."""

    now: dt.datetime
    created_at: dt.datetime
    last_sync_at: dt.datetime | None
    unsent_captures: int
    free_disk_mb: float
    clock_drift: dt.timedelta | None  # the kit's clock minus the server's, as last measured


def check(rails: GuardRails, condition: KitCondition) -> list[Refusal]:
    """Every guard-rail the kit is beyond; an empty list allows new captures."""
    refusals: list[Refusal] = []
    since = condition.now - (condition.last_sync_at or condition.created_at)
    if since > dt.timedelta(days=rails.max_days_without_sync):
        refusals.append(
            Refusal(
                Rail.DAYS_WITHOUT_SYNC,
                f"No sync for {since.days} days (limit {rails.max_days_without_sync:g}): go where there is a "
                "signal and sync, or hand the kit's relay file to the commune office.",
            )
        )
    if condition.unsent_captures >= rails.max_unsent_captures:
        refusals.append(
            Refusal(
                Rail.UNSENT_CAPTURES,
                f"{condition.unsent_captures} captures are not on the server yet (limit "
                f"{rails.max_unsent_captures}): have the supervisor review them, then sync or export a relay file.",
            )
        )
    if condition.free_disk_mb < rails.min_free_disk_mb:
        refusals.append(
            Refusal(
                Rail.FREE_DISK,
                f"Only {condition.free_disk_mb:.0f} MB free (at least {rails.min_free_disk_mb:g} MB needed): sync "
                "so that sent parts are removed, or free space on the kit.",
            )
        )
    drift = condition.clock_drift
    if drift is not None and abs(drift) > dt.timedelta(minutes=rails.max_clock_drift_minutes):
        refusals.append(
            Refusal(
                Rail.CLOCK_DRIFT,
                f"The kit's clock is {abs(drift).total_seconds() / 60:.0f} minutes "
                f"{'ahead of' if drift > dt.timedelta(0) else 'behind'} the server's (limit "
                f"{rails.max_clock_drift_minutes:g}): set the date and time, then sync.",
            )
        )
    return refusals


def rails_of(overrides: dict[str, Any]) -> GuardRails:
    return GuardRails.model_validate(overrides)


def free_disk_mb(path: Path) -> float:
    return shutil.disk_usage(path).free / 1_000_000
