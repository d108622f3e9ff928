"""Injected time.

Nothing in CivicID reads the wall clock directly: services take a ``clock`` so that tests freeze
time and the simulator can replay campaign days.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware UTC datetime."""
        ...

    def today(self) -> dt.date: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(VIETNAM_TZ).date()


class FixedClock:
    """A clock that only moves when told to: for tests and the simulator."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def today(self) -> dt.date:
        return self._at.astimezone(VIETNAM_TZ).date()

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta


# Vietnam has used UTC+7 without daylight saving since 1975.
VIETNAM_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
