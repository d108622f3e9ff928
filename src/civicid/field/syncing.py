"""Syncing from the running kit: the "Sync now" button and a background thread, never both at once.

``civicid field serve`` keeps a thread that wakes every few minutes and syncs when the kit is due:
when the retry schedule's ``next_sync_at`` has come (after a failure), or when the last good sync is
older than the sync interval. A sync that finds no signal fails quickly and schedules its own retry,
so the thread needs no knowledge of the network. One lock serialises it with the button.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from civicid.core.clock import Clock
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity
from civicid.field.sync import KitSync, SyncReport

logger = logging.getLogger("civicid.field")

ClientFactory = Callable[[], httpx.Client]
SYNC_INTERVAL = dt.timedelta(minutes=5)


@dataclass
class SyncRunner:
    """Runs :class:`KitSync` for the kit's pages and its background thread, one at a time."""

    kit: Kit
    clock: Clock
    client_factory: ClientFactory
    interval: dt.timedelta = SYNC_INTERVAL
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def run_now(self, *, force: bool = True) -> SyncReport | None:
        """Sync once; None when a sync is already running (the page says so instead of waiting)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            with self.client_factory() as client:
                return KitSync(kit=self.kit, clock=self.clock, client=client, rng=random.SystemRandom()).run(
                    force=force
                )
        finally:
            self._lock.release()

    def due(self) -> bool:
        """Has the retry schedule come round, or the last good sync grown older than the interval?"""
        now = self.clock.now()
        with self.kit.transaction() as session:
            identity = session.get(KitIdentity, 1)
            if identity is None:
                return False
            if identity.next_sync_at is not None:
                return identity.next_sync_at <= now
            return identity.last_sync_at is None or now - identity.last_sync_at >= self.interval

    def run_if_due(self) -> SyncReport | None:
        return self.run_now(force=False) if self.due() else None

    def start(self, every_seconds: float) -> None:
        """Check every ``every_seconds`` in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(every_seconds,), name="kit-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._thread = None

    def _loop(self, every_seconds: float) -> None:
        while not self._stop.wait(every_seconds):
            try:
                self.run_if_due()
            except Exception as exc:  # the thread must outlive any one failure; the next round retries
                logger.error("background sync failed: %s", type(exc).__name__)


def default_client_factory(kit: Kit) -> ClientFactory:
    """Clients for the server the kit was enrolled with (read when each sync starts)."""

    def make() -> httpx.Client:
        with kit.transaction() as session:
            identity = session.get(KitIdentity, 1)
            assert identity is not None  # noqa: S101 - Kit.open checked it
            server = identity.server_url
        return httpx.Client(base_url=server, timeout=httpx.Timeout(60, connect=15))

    return make
