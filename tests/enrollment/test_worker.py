"""The background worker: it outlives a database outage and resumes by itself, and it signs the audit
chain's checkpoints as the log grows (decisions 0034 and 0033)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.core.tampering import append, delete_entries_after
from tests.factories import queue_approved_sms
from tests.support.outage import FlakySessions

from civicid.biometrics.simulated import simulated_extractors
from civicid.core import jobs
from civicid.core.audit_witness import read_witness
from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.jobs import Job, JobState
from civicid.core.runtime import Context
from civicid.enrollment.runtime import build_pipeline
from civicid.enrollment.worker import BackgroundWorker, Retry
from civicid.notify.adapters import file_gateway
from civicid.notify.models import Notification, NotificationState

WORK = "test.work"
# Real seconds: how long the test waits at most for the worker thread to get somewhere.
PATIENCE_S = 30.0


def worker_for(context: Context, **options: object) -> BackgroundWorker:
    """The worker of a deployment on ``context``: simulated extractors, the SMS outbox file."""
    pipeline = build_pipeline(context, simulated_extractors())
    return BackgroundWorker(context, pipeline, file_gateway(context.settings, clock=context.clock), **options)  # type: ignore[arg-type]


def _eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.02)


def test_the_worker_thread_survives_an_outage_and_resumes_by_itself(
    context: Context, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def handler(session: Session, clock: Clock, subject: str) -> None:
        ran.append(subject)

    background = worker_for(context, idle_seconds=0.01, retry=Retry(first=0.01, cap=0.05))
    background.worker.handlers[WORK] = handler
    sessions = FlakySessions(context.database.engine)
    sessions.down = True
    background.worker.sessions = background.dispatcher.sessions = sessions
    with unit_of_work(context.database.sessions) as session:
        jobs.enqueue(session=session, clock=context.clock, kind=WORK, subject_id="a")
        queue_approved_sms(session, context.clock, "a")

    with caplog.at_level(logging.WARNING, logger="civicid.worker"):
        background.start()
        try:
            _eventually(lambda: background.failures >= 3)  # round after round fails, and the thread goes on
            sessions.down = False
            _eventually(
                lambda: background.failures == 0 and _states(context) == ({JobState.DONE}, {NotificationState.SENT})
            )
            assert background._thread is not None
            assert background._thread.is_alive()
        finally:
            background.stop()

    assert ran == ["a"]
    assert "database unavailable (OperationalError); retrying in" in caplog.text
    assert "worker resumed after" in caplog.text
    assert "0912345678" not in caplog.text


def _states(context: Context) -> tuple[set[JobState], set[NotificationState]]:
    with unit_of_work(context.database.sessions) as session:
        job_states = set(session.scalars(select(Job.state).where(Job.kind == WORK)))
        return job_states, set(session.scalars(select(Notification.state)))


@pytest.fixture
def witness(tmp_path: Path) -> Path:
    return tmp_path / "audit-witness.jsonl"


def worker_every(context: Context, every: int, witness: Path) -> BackgroundWorker:
    """The worker of a deployment with ``CIVICID_AUDIT_CHECKPOINT_EVERY=every`` and a witness file."""
    settings = context.settings.model_copy(update={"audit_checkpoint_every": every, "audit_witness_file": witness})
    return worker_for(dataclasses.replace(context, settings=settings))


def test_a_checkpoint_once_every_n_entries(context: Context, witness: Path) -> None:
    worker = worker_every(context, 3, witness)
    append(context.database, context.clock, 2)
    worker.round()
    assert not witness.exists()
    seq = append(context.database, context.clock, 1)
    worker.round()
    worker.round()
    (checkpoint,) = read_witness(witness)
    assert (checkpoint.clear["seq"], checkpoint.clear["entries"]) == (seq[-1], 3)


def test_zero_leaves_checkpoints_to_the_command(context: Context, witness: Path) -> None:
    append(context.database, context.clock, 5)
    worker_every(context, 0, witness).round()
    assert not witness.exists()


def test_a_tampered_log_is_logged_once_and_the_worker_goes_on(
    context: Context, witness: Path, caplog: pytest.LogCaptureFixture
) -> None:
    worker = worker_every(context, 1, witness)
    seq = append(context.database, context.clock, 3)
    worker.round()
    delete_entries_after(context.database, seq[0])
    with caplog.at_level(logging.ERROR, logger="civicid.audit"):
        assert worker.round() == 0
        assert worker.round() == 0
    (record,) = caplog.records
    assert "audit_log_tampered" in record.getMessage()
