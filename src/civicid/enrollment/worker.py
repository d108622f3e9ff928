"""The pipeline worker as a loop: ``civicid worker``, or a thread inside ``civicid serve``.

Each round runs every ready pipeline job, then sends the SMS waiting in the outbox through the
deployment's gateway, then signs a checkpoint of the audit chain if one is due. A round that found
nothing to do waits before looking again.
"""

from __future__ import annotations

import logging
import threading

from cryptography.hazmat.primitives.asymmetric import ec

from civicid.core.audit_witness import checkpoint_and_export
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context
from civicid.enrollment.runtime import build_worker, keystore_of
from civicid.enrollment.tasks import Pipeline
from civicid.notify.dispatcher import dispatch_pending
from civicid.notify.ports import SmsGateway

IDLE_SECONDS = 1.0

logger = logging.getLogger("civicid.audit")


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
        self._audit_key: ec.EllipticCurvePrivateKey | None = None
        self._checkpoint_failure: str | None = None

    def round(self) -> int:
        """One round: returns how many jobs ran and SMS were sent."""
        ran = self.worker.run_until_idle()
        sent = dispatch_pending(sessions=self.context.database.sessions, clock=self.context.clock, gateway=self.gateway)
        self.checkpoint()
        return ran + sent

    def checkpoint(self) -> None:
        """Sign the audit chain's head once ``CIVICID_AUDIT_CHECKPOINT_EVERY`` entries follow the last checkpoint.

        The worker is the one process every deployment runs that already holds the server's keys and
        runs on its own; decision 0033. A failure (a tampered log, an unwritable witness file) is
        logged once, not once per round, and never stops the jobs.
        """
        settings = self.context.settings
        if settings.audit_checkpoint_every == 0:
            return
        try:
            if self._audit_key is None:
                self._audit_key = keystore_of(self.context).audit_signing_key()
            checkpoint_and_export(
                sessions=self.context.database.sessions,
                clock=self.context.clock,
                key=self._audit_key,
                witness=settings.audit_witness_file,
                every=settings.audit_checkpoint_every,
            )
        except CivicIDError as exc:
            failure = f"{exc.detail} ({exc.code})"
            if failure != self._checkpoint_failure:
                logger.error("audit checkpoint not written: %s", failure)
            self._checkpoint_failure = failure
        else:
            self._checkpoint_failure = None

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
