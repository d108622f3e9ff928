"""Rate limits for public endpoints that a person could use to guess (a receipt code, an ID number).

A sliding window per key (the client's address) in this process's memory: enough to make guessing
40-bit codes hopeless at any rate a village link allows, with nothing to configure. Several server
processes each keep their own window, which multiplies the limit by their number, a bound that
stays far from useful to a guesser; a shared store is the step after. The clock is the app's, so
tests are exact. Memory is bounded: past :data:`MAX_KEYS` keys the oldest windows are dropped.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from civicid.core.clock import Clock
from civicid.core.errors import CivicIDError

MAX_KEYS = 50_000


class RateLimited(CivicIDError):
    code = "rate_limited"
    title = "Too many requests: wait a little and try again"
    status = 429


@dataclass
class RateLimit:
    """At most ``limit`` requests per ``window`` for each key."""

    limit: int
    window: dt.timedelta
    _seen: OrderedDict[str, deque[dt.datetime]] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def check(self, key: str, clock: Clock) -> None:
        """Count one request of ``key`` now; :class:`RateLimited` (with ``retry_after_seconds``) beyond the limit."""
        now = clock.now()
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and now - times[0] >= self.window:
                times.popleft()
            self._seen[key] = times
            while len(self._seen) > MAX_KEYS:
                self._seen.popitem(last=False)
            if len(times) >= self.limit:
                retry = int((times[0] + self.window - now).total_seconds()) + 1
                raise RateLimited("too many requests from this address", retry_after_seconds=max(retry, 1))
            times.append(now)
