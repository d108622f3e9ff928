"""The pipeline worker as a loop: ``civicid worker``, or a thread inside ``civicid serve``.

Each round runs every ready pipeline job, then sends the SMS waiting in the outbox through the
deployment's gateway. A round that found nothing to do waits before looking again.
"""

from __future__ import annotations

import threading

from civicid.core.runtime import Context
from civicid.enrollment.runtime import build_worker
from civicid.enrollment.tasks import Pipeline
from civicid.notify.dispatcher import dispatch_pending
from civicid.notify.ports import SmsGateway

IDLE_SECONDS = 1.0


class BackgroundWorker:
    """Runs rounds until stopped; one per process is enough (jobs are claimed with leases)."""

    def __init__(
        self, context: Context, pipeline: Pipeline, gateway: SmsGateway, *, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.context = context
        self.idle_seconds = idle_seconds
        self.worker = build_worker(context, pipeline)
        self.gateway = gateway
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def round(self) -> int:
        """One round: returns how many jobs ran and SMS were sent."""
        ran = self.worker.run_until_idle()
        sent = dispatch_pending(sessions=self.context.database.sessions, clock=self.context.clock, gateway=self.gateway)
        return ran + sent

    def run(self) -> None:
        while not self._stop.is_set():
            if self.round() == 0:
                self._stop.wait(self.idle_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="civicid-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
