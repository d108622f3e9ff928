"""Injected time.

Nothing in CivicID reads the wall clock directly: services take a ``clock`` so that tests freeze
time and the simulator can replay campaign days. A clock keeps instants in UTC and says which day
it is in the zone it is given: the country's (``country/zone.py``), which the composition and each
caller that builds a clock pass in; core knows no country (decision 0036).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware UTC datetime."""
        ...

    def today(self) -> dt.date:
        """The date in the clock's zone."""
        ...


class SystemClock:
    def __init__(self, *, zone: dt.tzinfo) -> None:
        self._zone = zone

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().astimezone(self._zone).date()


class FixedClock:
    """A clock that only moves when told to: for tests and the simulator."""

    def __init__(self, at: dt.datetime, *, zone: dt.tzinfo) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at
        self._zone = zone

    def now(self) -> dt.datetime:
        return self._at

    def today(self) -> dt.date:
        return self._at.astimezone(self._zone).date()

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta
