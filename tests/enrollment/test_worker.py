"""The background worker outlives a database outage and resumes by itself when the database answers."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.factories import queue_approved_sms
from tests.support.outage import FlakySessions

from civicid.core import jobs
from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.jobs import Job, JobState
from civicid.core.runtime import Context
from civicid.enrollment.worker import BackgroundWorker, Retry
from civicid.notify.models import Notification, NotificationState

WORK = "test.work"
# Real seconds: how long the test waits at most for the worker thread to get somewhere.
PATIENCE_S = 30.0


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

    background = BackgroundWorker(context, idle_seconds=0.01, retry=Retry(first=0.01, cap=0.05))
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
