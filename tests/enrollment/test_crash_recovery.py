"""A worker killed with ``kill -9`` in the middle of a stage loses nothing and does nothing twice.

The stage's work and the job's completion are one transaction (core/jobs.py): a worker killed after
the work but before the commit leaves the job leased; once the lease expires another worker runs the
stage again from the start, on a database that holds none of the first try's effects.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.factories import PeopleOf, application_status, approved, captured_packet, delivered, small_commune, stages_of

from civicid.accounts.models import EidAccount
from civicid.biometrics.models import BiometricTemplate
from civicid.core.database import unit_of_work
from civicid.core.jobs import Job, JobState
from civicid.core.runtime import Context
from civicid.enrollment.approval import ISSUE_STAGE
from civicid.enrollment.runtime import build_worker
from civicid.enrollment.tasks import BIOMETRICS, Pipeline
from civicid.notify.models import Notification
from civicid.protocol.codes import ApplicationStatus
from civicid.protocol.packet import Packet
from civicid.sim.captures import SimulatedKit

CRASH_WORKER = Path(__file__).with_name("crash_worker.py")
CRASH_WORKER_LEASE = dt.timedelta(seconds=1)
DUPLICATE = {ApplicationStatus.REJECTED_DUPLICATE, ApplicationStatus.SUSPECTED_DUPLICATE}


@pytest.fixture
def commune(context: Context) -> str:
    return small_commune(context)


def _run_crashing_worker(context: Context, crash_at: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CIVICID_DATABASE_URL": context.settings.database_url or "",
        "CIVICID_DATA_DIR": str(context.settings.data_dir),
        "CRASH_AT": crash_at,
        "CRASH_CLOCK": context.clock.now().isoformat(),
    }
    return subprocess.run(  # noqa: S603 - our own script, with the test's interpreter
        [sys.executable, str(CRASH_WORKER)], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("crash_at", [BIOMETRICS, ISSUE_STAGE])
def test_a_worker_killed_mid_stage_is_resumed_by_another_with_nothing_done_twice(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, crash_at: str
) -> None:
    adults = people("14_plus", 4)
    genuine = [captured_packet(context, kit, p) for p in adults[:3]]
    # The fourth person's data with the first person's face: the gallery must keep only the first.
    impostor = captured_packet(context, kit, adults[3], identity_seed=adults[0].id)
    packets = [*genuine, impostor]
    for packet in packets:
        delivered(context, packet)
    if crash_at == ISSUE_STAGE:
        build_worker(context, pipeline, name="first-worker").run_until_idle()
        for packet in genuine:
            approved(context, _id(packet))

    crashed = _run_crashing_worker(context, crash_at)

    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    assert crashed.stdout.startswith(f"killed in {crash_at} for ")
    killed_in = crashed.stdout.split()[-1]
    # The worker leased its batch of jobs, ran the first of the stage, and died before committing it.
    leased = {key for key, job in _jobs(context).items() if job[:3] == (JobState.RUNNING, 1, "crashing-worker")}
    assert (crash_at, killed_in) in leased
    assert crash_at.removeprefix("enrollment.") not in stages_of(context, killed_in)  # nothing of it committed

    context.clock.advance(CRASH_WORKER_LEASE + dt.timedelta(seconds=1))
    build_worker(context, pipeline, name="recovering-worker").run_until_idle()

    # Every application ended where the pipeline takes it, each stage once on its timeline.
    statuses = {_id(p): application_status(context, _id(p))[0] for p in packets}
    final = ApplicationStatus.ISSUED if crash_at == ISSUE_STAGE else ApplicationStatus.AWAITING_APPROVAL
    assert [statuses[_id(p)] for p in genuine] == [final] * 3
    assert statuses[_id(impostor)] in DUPLICATE
    through_biometrics = ["received", "complete", "integrity", "registry_match", "eligibility", "biometrics"]
    for packet in genuine:
        expected = through_biometrics + (["approval", "issue"] if crash_at == ISSUE_STAGE else [])
        assert stages_of(context, _id(packet)) == expected
    assert stages_of(context, _id(impostor)) == through_biometrics

    # The jobs the dead worker held were taken over once their lease expired (a second attempt);
    # every other job was claimed once. All are done, none failed.
    jobs = _jobs(context)
    assert jobs[crash_at, killed_in] == (JobState.DONE, 2, "recovering-worker", None)
    assert {key for key, job in jobs.items() if job[1] != 1} == leased
    assert {(state, error) for state, _, _, error in jobs.values()} == {(JobState.DONE, None)}

    with unit_of_work(context.database.sessions) as session:
        # The gallery holds each unique face once, and not the impostor's.
        gallery = Counter(
            session.scalars(select(BiometricTemplate.reference_id).where(BiometricTemplate.vector.is_not(None)))
        )
        assert gallery == Counter(_id(p) for p in genuine)
        # One account per person and one SMS per application, only once issued.
        accounts = Counter(session.scalars(select(EidAccount.person_id)))
        sms = Counter(session.scalars(select(Notification.related_id)))
    if crash_at == ISSUE_STAGE:
        assert accounts == Counter(p.id for p in adults[:3])
        assert sms == Counter(_id(p) for p in genuine)
    else:
        assert accounts == Counter()
        assert sms == Counter()


def _id(packet: Packet) -> str:
    return packet.envelope.application_id


def _jobs(context: Context) -> dict[tuple[str, str], tuple[JobState, int, str | None, str | None]]:
    with unit_of_work(context.database.sessions) as session:
        rows = session.scalars(select(Job)).all()
        assert session.scalar(select(func.count()).select_from(Job)) == len({(r.kind, r.subject_id) for r in rows})
        return {(r.kind, r.subject_id): (r.state, r.attempts, r.worker, r.last_error) for r in rows}
