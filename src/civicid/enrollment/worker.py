"""The pipeline worker as a loop: ``civicid worker``, or a thread inside ``civicid serve``.

Each round runs every ready pipeline job, then sends the SMS waiting in the outbox through the
deployment's gateway, then signs a checkpoint of the audit chain if one is due. A round that found
nothing to do waits before looking again. A round that failed (the database went away, most often)
is logged and tried again after a bounded, jittered backoff, so that the loop outlives any outage
and resumes by itself when the database answers (docs/decisions/0034-database-outages.md); what an
outage cut short is given back then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

from civicid.core.audit_witness import checkpoint_and_export
from civicid.core.errors import CivicIDError, described_for_log
from civicid.core.jobs import Handler, backoff
from civicid.core.outage import is_outage
from civicid.core.runtime import Context
from civicid.enrollment.runtime import build_worker, keystore_of
from civicid.enrollment.tasks import Pipeline
from civicid.notify.dispatcher import Dispatcher
from civicid.notify.ports import SmsGateway

logger = logging.getLogger("civicid.worker")
audit_logger = logging.getLogger("civicid.audit")

IDLE_SECONDS = 1.0


@dataclass(frozen=True)
class Retry:
    """How long the loop waits after failed rounds: full jitter on ``first``·2ⁿ, never beyond ``cap`` seconds."""

    first: float = 0.5
    cap: float = 30.0

    def seconds(self, failures: int) -> float:
        return backoff(failures - 1, base=self.first, cap=self.cap).total_seconds()


class BackgroundWorker:
    """Runs rounds until stopped; one per process is enough (jobs are claimed with leases)."""

    def __init__(
        self,
        context: Context,
        pipeline: Pipeline,
        gateway: SmsGateway,
        *,
        idle_seconds: float = IDLE_SECONDS,
        retry: Retry | None = None,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        self.context = context
        self.idle_seconds = idle_seconds
        self.retry = retry or Retry()
        self.worker = build_worker(context, pipeline, handlers=handlers)
        self.gateway = gateway
        self.dispatcher = Dispatcher(sessions=context.database.sessions, clock=context.clock, gateway=gateway)
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._audit_key: ec.EllipticCurvePrivateKey | None = None
        self._checkpoint_failure: str | None = None

    def round(self) -> int:
        """One round: returns how many jobs ran and SMS were sent.

        The outbox is served even when the pipeline failed, and the other way round; the first
        failure is raised once both had their turn.
        """
        done, failure = 0, None
        for part in (self.worker.run_until_idle, self.dispatcher.dispatch):
            try:
                done += part()
            except Exception as exc:  # raised below, after the other part ran
                failure = failure or exc
        if failure is not None:
            raise failure
        self.checkpoint()
        return done

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
                audit_logger.error("audit checkpoint not written: %s", failure)
            self._checkpoint_failure = failure
        else:
            self._checkpoint_failure = None

    def run(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(self.next_wait())

    def next_wait(self) -> float:
        """Run one round and say how long to wait before the next: none after work, longer after failures."""
        try:
            busy = self.round() > 0
        except Exception as exc:  # the loop must outlive any failure; each is logged, then retried
            self.failures += 1
            wait = self.retry.seconds(self.failures)
            if is_outage(exc):
                logger.warning("database unavailable (%s); retrying in %.1f s", type(exc).__name__, wait)
            else:
                logger.error("worker round failed: %s; retrying in %.1f s", described_for_log(exc), wait)
            return wait
        if self.failures:
            logger.warning("worker resumed after %d failed rounds", self.failures)
            self.failures = 0
        return 0.0 if busy else self.idle_seconds

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="civicid-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
