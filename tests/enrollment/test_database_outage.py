"""PostgreSQL behind a TCP link cut for 10 seconds under a running pipeline: it resumes, nothing lost, nothing twice.

The worker thread of ``civicid serve`` reaches the database through a :class:`CuttableLink`. The
link is cut from inside the issue stage, after the stage wrote its effects and before its
transaction commits: that half-done work must roll back. For 10 real seconds every connection is
refused; the API answers 503 meanwhile. Then the link is restored, and the worker, still alive,
gives back the jobs the outage left it holding and goes on. Domain time is the test's frozen clock
throughout: nothing waits for a lease to expire.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.factories import PeopleOf, approved, captured_packet, delivered, small_commune, stages_of
from tests.support.network import CuttableLink

from civicid.accounts.models import EidAccount
from civicid.app import create_app
from civicid.biometrics.models import BiometricTemplate
from civicid.core.clock import Clock
from civicid.core.database import make_engine, make_session_factory, unit_of_work
from civicid.core.jobs import Job, JobState
from civicid.core.runtime import Context, Database
from civicid.enrollment.approval import ISSUE_STAGE
from civicid.enrollment.models import Application
from civicid.enrollment.runtime import build_worker
from civicid.enrollment.tasks import Pipeline
from civicid.enrollment.worker import BackgroundWorker, Retry
from civicid.notify.adapters import SMS_OUTBOX_FILE, file_gateway
from civicid.notify.models import Notification, NotificationState
from civicid.protocol.codes import ApplicationStatus
from civicid.sim.captures import SimulatedKit

CUT_S = 10.0
PATIENCE_S = 120.0  # real seconds the test waits at most for the worker to get somewhere
THROUGH_BIOMETRICS = ["received", "complete", "integrity", "registry_match", "eligibility", "biometrics"]

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database", ["postgresql"], indirect=True)]


@pytest.fixture
def commune(context: Context) -> str:
    return small_commune(context)


@pytest.fixture
def link(context: Context) -> Iterator[CuttableLink]:
    url = context.database.engine.url
    with CuttableLink(upstream=(url.host or "127.0.0.1", url.port or 5432)) as link:
        yield link


@pytest.fixture
def behind_link(context: Context, link: CuttableLink) -> Iterator[Context]:
    """The same deployment (data folder, clock), its database reached through the link."""
    host, port = link.address
    url = context.database.engine.url.set(host=host, port=port).render_as_string(hide_password=False)
    engine = make_engine(url)
    settings = context.settings.model_copy(update={"database_url": url})
    yield Context(
        settings=settings, database=Database(engine=engine, sessions=make_session_factory(engine)), clock=context.clock
    )
    engine.dispose()


def test_a_ten_second_cut_under_the_pipeline_loses_nothing_and_runs_nothing_twice(
    context: Context,
    behind_link: Context,
    link: CuttableLink,
    pipeline: Pipeline,
    kit: SimulatedKit,
    people: PeopleOf,
    caplog: pytest.LogCaptureFixture,
) -> None:
    adults = people("14_plus", 6)
    packets = [captured_packet(context, kit, p) for p in adults]
    decided, fresh = [p.envelope.application_id for p in packets[:3]], [p.envelope.application_id for p in packets[3:]]
    # Three applications went through the pipeline and were approved; three more just came in.
    for packet in packets[:3]:
        delivered(context, packet)
    build_worker(context, pipeline, name="before-the-cut").run_until_idle()
    for application_id in decided:
        approved(context, application_id)
    for packet in packets[3:]:
        delivered(context, packet)

    gateway = file_gateway(behind_link.settings, clock=behind_link.clock)
    background = BackgroundWorker(behind_link, pipeline, gateway, idle_seconds=0.05, retry=Retry(first=0.2, cap=1.0))
    cut = _cut_inside_the_issue_stage(background, link)
    app = create_app(behind_link)
    with caplog.at_level(logging.WARNING, logger="civicid"):
        background.start()
        try:
            assert cut.wait(PATIENCE_S), "the issue stage never ran"
            cut_at = time.monotonic()
            assert _status(app, "/api/v1/health") == 503
            time.sleep(max(0.0, cut_at + CUT_S - time.monotonic()))
            assert background._thread is not None
            assert background._thread.is_alive()
            assert background.failures > 0
            link.restore()
            _eventually(lambda: background.failures == 0 and _all_done(context))
            assert _status(app, "/api/v1/health") == 200
        finally:
            background.stop()

    assert link.stats.dropped > 0
    assert link.stats.refused > 0
    assert "database unavailable (OperationalError); retrying in" in caplog.text
    assert "worker resumed after" in caplog.text

    # Every application ended where the pipeline takes it, each stage once on its timeline.
    for application_id in decided:
        assert stages_of(context, application_id) == [*THROUGH_BIOMETRICS, "approval", "issue"]
    for application_id in fresh:
        assert stages_of(context, application_id) == THROUGH_BIOMETRICS
    assert (
        _statuses(context, decided + fresh)
        == [ApplicationStatus.ISSUED] * 3 + [ApplicationStatus.AWAITING_APPROVAL] * 3
    )

    # All jobs done, none failed; only the job that was running at the cut took a second attempt.
    with unit_of_work(context.database.sessions) as session:
        jobs = session.execute(select(Job.kind, Job.state, Job.attempts, Job.last_error)).all()
        assert {(state, error) for _, state, _, error in jobs} == {(JobState.DONE, None)}
        assert sorted((kind, attempts) for kind, _, attempts, _ in jobs if attempts != 1) == [(ISSUE_STAGE, 2)]
        # One account per approved person, each face once in the gallery, one SMS each, sent.
        assert Counter(session.scalars(select(EidAccount.person_id))) == Counter(p.id for p in adults[:3])
        gallery = select(BiometricTemplate.reference_id).where(BiometricTemplate.vector.is_not(None))
        assert Counter(session.scalars(gallery)) == Counter(decided + fresh)
        sms = session.execute(select(Notification.related_id, Notification.state)).all()
        assert sorted(sms) == sorted((a, NotificationState.SENT) for a in decided)
        assert session.scalar(select(func.count()).select_from(Application)) == 6
    sent = Counter(
        json.loads(line)["idempotency_key"]
        for line in (context.settings.data_dir / SMS_OUTBOX_FILE).read_text(encoding="utf-8").splitlines()
    )
    assert sorted(sent.values()) == [1, 1, 1]  # nothing sent twice


def _cut_inside_the_issue_stage(background: BackgroundWorker, link: CuttableLink) -> threading.Event:
    """Make the worker's first issue stage write its effects, then cut the link before they commit."""
    cut = threading.Event()
    stage, batch = background.worker.handlers[ISSUE_STAGE], background.worker.batch_handlers[ISSUE_STAGE]

    def then_cut(session: Session) -> None:
        if not cut.is_set():
            session.flush()  # the stage's writes are in the open transaction, not committed
            link.cut()
            cut.set()

    def one(session: Session, clock: Clock, subject_id: str) -> None:
        stage(session, clock, subject_id)
        then_cut(session)

    def many(session: Session, clock: Clock, subject_ids: list[str]) -> None:
        batch(session, clock, subject_ids)
        then_cut(session)

    background.worker.handlers[ISSUE_STAGE] = one
    background.worker.batch_handlers[ISSUE_STAGE] = many
    return cut


def _status(app: object, path: str) -> int:
    async def get() -> int:
        async with AsyncClient(transport=ASGITransport(app), base_url="http://testserver") as client:  # type: ignore[arg-type]
            return (await client.get(path)).status_code

    return asyncio.run(get())


def _eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, "the pipeline did not resume in time"
        time.sleep(0.1)


def _all_done(context: Context) -> bool:
    with unit_of_work(context.database.sessions) as session:
        jobs = set(session.scalars(select(Job.state)))
        sms = set(session.scalars(select(Notification.state)))
    return jobs == {JobState.DONE} and sms == {NotificationState.SENT}


def _statuses(context: Context, application_ids: list[str]) -> list[ApplicationStatus]:
    with unit_of_work(context.database.sessions) as session:
        return [session.get_one(Application, application_id).status for application_id in application_ids]
