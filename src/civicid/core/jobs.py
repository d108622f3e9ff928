"""Durable, idempotent jobs in the database (DESIGN.md decision 2).

A job is a row: ``(kind, subject_id)`` is unique, so enqueuing the same work twice is one job.
A worker *claims* a job in a short transaction of its own (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite serialises writers), which gives it a lease. It then runs the handler in a second
transaction that also marks the job done, checking that it still holds the lease: the handler's
effects and the job's completion commit together or not at all. A worker killed at any point
(``kill -9``) leaves either a finished job or a lease that expires, after which another worker runs
the handler again from the start, on a database that holds none of the first try's effects.

Failures are retried with exponential backoff and jitter, up to ``max_attempts``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Index,
    Integer,
    Select,
    String,
    UniqueConstraint,
    Update,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from civicid.core.clock import Clock
from civicid.core.database import Base, unit_of_work
from civicid.core.dialects import by_dialect, insert_into, per_dialect
from civicid.core.errors import CivicIDError
from civicid.core.lists import one_of
from civicid.core.outage import is_outage
from civicid.core.types import UTCDateTime, str_enum

Handler = Callable[[Session, Clock, str], None]
"""A job handler: does the work for ``subject_id`` in the given session, never commits."""

BatchHandler = Callable[[Session, Clock, list[str]], None]
"""Does one stage's work for many subjects in one session (set-based), never commits.

It must leave the database exactly as running the single handler for each subject in turn would;
if it raises, the worker falls back to the single handler, one job per transaction.
"""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (UniqueConstraint("kind", "subject_id"), Index("ix_job_ready", "state", "run_after"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    worker: Mapped[str | None] = mapped_column(String(120))
    # An error code, never a message that could carry personal data.
    last_error: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class LeaseLost(Exception):
    """Another worker took the job over (our lease had expired): our work must not commit."""


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    subject_id: str
    attempt: int
    worker: str


def enqueue(*, session: Session, clock: Clock, kind: str, subject_id: str, delay: dt.timedelta | None = None) -> None:
    """Add a job in the caller's transaction; a job of the same kind for the same subject is kept."""
    enqueue_many(session=session, clock=clock, kind=kind, subject_ids=[subject_id], delay=delay)


def rearm(*, session: Session, clock: Clock, kind: str, subject_id: str) -> None:
    """Ask for a job to run (again) for an event that can recur: a finished or failed one is queued anew.

    Jobs are one per kind and subject (the pipeline's stages run once); an event-driven job, such as
    "this person's standing changed", must run after every change. A job still queued already will
    see the change; one running now is left to finish (it reads the state when it runs).
    """
    session.execute(
        update(Job)
        .where(Job.kind == kind, Job.subject_id == subject_id, Job.state.in_((JobState.DONE, JobState.FAILED)))
        .values(state=JobState.QUEUED, attempts=0, run_after=clock.now(), finished_at=None, last_error=None)
    )
    enqueue(session=session, clock=clock, kind=kind, subject_id=subject_id)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    kinds: list[str],
    worker: str,
    lease: dt.timedelta = dt.timedelta(seconds=60),
) -> ClaimedJob | None:
    """Take the oldest ready job of these kinds, or one whose lease expired, in a transaction of its own."""
    claimed = claim_batch(sessions=sessions, clock=clock, kinds=kinds, worker=worker, lease=lease, limit=1)
    return claimed[0] if claimed else None


def claim_batch(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    kinds: list[str],
    worker: str,
    lease: dt.timedelta = dt.timedelta(seconds=60),
    limit: int = 20,
    max_attempts: int | None = None,
) -> list[ClaimedJob]:
    """Take up to ``limit`` jobs in one short transaction: expired leases first, then the oldest ready.

    Both queries are prefix scans of ``ix_job_ready`` (state, run_after): done jobs, however many,
    are never read. The claimed jobs get their lease in one UPDATE (Core, prebuilt statements: a
    claim is on every batch's path, and loading and flushing a hundred ``Job`` objects cost more
    than the stages' own work). Each job still runs and completes in a transaction of its own.
    """
    now = clock.now()
    with unit_of_work(sessions) as session:
        connection = session.connection()
        expired, ready = _CLAIMABLE[connection.dialect.name]
        rows = list(connection.execute(expired, {"now": now, "kinds": kinds, "limit": limit}))
        if len(rows) < limit:
            rows += connection.execute(ready, {"now": now, "kinds": kinds, "limit": limit - len(rows)})
        given_up = [row.id for row in rows if max_attempts is not None and row.attempts >= max_attempts]
        claimed = [
            ClaimedJob(id=row.id, kind=row.kind, subject_id=row.subject_id, attempt=row.attempts + 1, worker=worker)
            for row in rows
            if row.id not in given_up
        ]
        if given_up:
            # Their worker died on every try (a job that kills its process): give up on them.
            connection.execute(_GIVE_UP[connection.dialect.name], {"ids": given_up, "now": now})
        if claimed:
            values = {"ids": [job.id for job in claimed], "b_worker": worker, "b_lease_until": now + lease}
            connection.execute(_LEASE[connection.dialect.name], values)
        return claimed


_Claimable = Select[int, str, str, int]


def _claimable_queries(*, locking: bool) -> tuple[_Claimable, _Claimable]:
    """The expired-lease and the ready queries of :func:`claim_batch`; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL."""
    columns = select(Job.id, Job.kind, Job.subject_id, Job.attempts)
    kinds = Job.kind.in_(bindparam("kinds", expanding=True))
    expired = (
        columns.where(Job.state == JobState.RUNNING, Job.lease_until < bindparam("now"), kinds)
        .order_by(Job.id)
        .limit(bindparam("limit"))
    )
    ready = (
        columns.where(Job.state == JobState.QUEUED, Job.run_after <= bindparam("now"), kinds)
        .order_by(Job.run_after, Job.id)
        .limit(bindparam("limit"))
    )
    if locking:
        return expired.with_for_update(skip_locked=True), ready.with_for_update(skip_locked=True)
    return expired, ready


# Built once: on the path of every batch, building a statement costs more than running it. (A
# bindparam may not take a column's name in an UPDATE, hence the ``b_`` prefixes.)
_CLAIMABLE = by_dialect(postgresql=_claimable_queries(locking=True), sqlite=_claimable_queries(locking=False))


def _listed(dialect: str, *conditions: ColumnElement[bool], **values: Any) -> Update:
    """``UPDATE job SET values WHERE id`` is one of the list ``ids`` (and ``conditions``)."""
    return update(Job).where(one_of(Job.id, "ids", dialect), *conditions).values(**values)


_LEASE = per_dialect(
    lambda dialect: _listed(
        dialect,
        state=JobState.RUNNING,
        attempts=Job.attempts + 1,
        worker=bindparam("b_worker"),
        lease_until=bindparam("b_lease_until"),
    )
)
_GIVE_UP = per_dialect(
    lambda dialect: _listed(
        dialect,
        state=JobState.FAILED,
        finished_at=bindparam("now"),
        lease_until=None,
        last_error=func.coalesce(Job.last_error, "worker_lost"),
    )
)
# Only a job this worker still holds, at the attempt it claimed, is marked done.
_COMPLETE = per_dialect(
    lambda dialect: _listed(
        dialect,
        Job.worker == bindparam("b_worker"),
        Job.attempts == bindparam("b_attempt"),
        Job.state == JobState.RUNNING,
        state=JobState.DONE,
        finished_at=bindparam("now"),
        lease_until=None,
        last_error=None,
    )
)


def complete(*, session: Session, clock: Clock, job: ClaimedJob) -> None:
    """Mark the job done in the handler's transaction, only if this worker still holds it."""
    complete_batch(session=session, clock=clock, jobs=[job])


def complete_batch(*, session: Session, clock: Clock, jobs: list[ClaimedJob]) -> None:
    """Mark all of ``jobs`` done in the batch's transaction, only if this worker still holds every one."""
    by_attempt: dict[tuple[str, int], list[int]] = {}
    for job in jobs:
        by_attempt.setdefault((job.worker, job.attempt), []).append(job.id)
    connection = session.connection()
    now = clock.now()
    complete = _COMPLETE[connection.dialect.name]
    for (worker, attempt), ids in by_attempt.items():
        result = connection.execute(complete, {"ids": ids, "b_worker": worker, "b_attempt": attempt, "now": now})
        if result.rowcount != len(ids):
            if len(ids) == 1:
                raise LeaseLost(f"job {ids[0]} was taken over by another worker")
            raise LeaseLost(f"{len(ids) - result.rowcount} of jobs {ids[:3]}… were taken over")


# ``INSERT … ON CONFLICT DO NOTHING`` per dialect, built once (enqueuing is on every stage's path).
# Many rows go as one executemany, which psycopg pipelines with one parsed query: cheaper than the
# multi-row INSERT that RETURNING would make of it (docs/decisions/0029-executemany-on-postgresql.md).
_INSERT_IGNORING = per_dialect(
    lambda dialect: insert_into(Job, dialect).on_conflict_do_nothing(index_elements=["kind", "subject_id"])
)


def enqueue_many(
    *, session: Session, clock: Clock, kind: str, subject_ids: list[str], delay: dt.timedelta | None = None
) -> None:
    """:func:`enqueue` for many subjects in one statement; subjects already holding such a job keep it."""
    if not subject_ids:
        return
    now = clock.now()
    rows = [
        {
            "kind": kind,
            "subject_id": subject_id,
            "state": JobState.QUEUED.value,
            "attempts": 0,
            "run_after": now + (delay or dt.timedelta()),
            "created_at": now,
        }
        for subject_id in subject_ids
    ]
    session.connection().execute(_INSERT_IGNORING[session.get_bind().dialect.name], rows)


def backoff(attempt: int, *, base: float = 2.0, cap: float = 600.0) -> dt.timedelta:
    """Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter")."""
    return dt.timedelta(seconds=random.uniform(0, min(cap, base * 2**attempt)))  # noqa: S311 - jitter, not secrets


def fail(*, sessions: sessionmaker[Session], clock: Clock, job: ClaimedJob, error: str, max_attempts: int) -> None:
    """Record a failed attempt in a transaction of its own: retry later, or give up."""
    with unit_of_work(sessions) as session:
        row = session.get(Job, job.id)
        # Only a job this worker still holds: not one taken over, nor one whose completion did commit
        # although the connection died before the commit was acknowledged (it would run twice).
        if row is None or row.worker != job.worker or row.attempts != job.attempt or row.state != JobState.RUNNING:
            return
        row.last_error = error[:120]
        row.lease_until = None
        if row.attempts >= max_attempts:
            row.state = JobState.FAILED
            row.finished_at = clock.now()
        else:
            row.state = JobState.QUEUED
            row.run_after = clock.now() + backoff(row.attempts)


# Give a held job back, ready at once: only one this worker still holds at the attempt it claimed.
# ``b_refund`` is 1 for a job that never started (its attempt is given back), 0 for the one running,
# whose ``b_error`` says why it stopped.
_RELEASE = (
    update(Job)
    .where(
        Job.id == bindparam("b_id"),
        Job.worker == bindparam("b_worker"),
        Job.attempts == bindparam("b_attempt"),
        Job.state == JobState.RUNNING,
    )
    .values(
        state=JobState.QUEUED,
        attempts=Job.attempts - bindparam("b_refund", type_=Integer),
        run_after=bindparam("now"),
        lease_until=None,
        worker=None,
        last_error=func.coalesce(bindparam("b_error", type_=String), Job.last_error),
    )
)


def release(
    *, sessions: sessionmaker[Session], clock: Clock, running: list[ClaimedJob], waiting: list[ClaimedJob]
) -> None:
    """Give back the jobs of a batch cut short by a database outage, once the database answers again.

    They are ready at once instead of waiting for their leases to expire. ``running`` were in
    their handler's transaction when the database went away: that transaction rolled back, and
    their attempt counts (a job that breaks the connection every time must still run out of
    attempts). ``waiting`` never started and get their attempt back. A job another worker took
    over, or one whose completion committed though its acknowledgement was lost, is left alone.
    """
    now = clock.now()
    rows = [
        {
            "b_id": job.id,
            "b_worker": job.worker,
            "b_attempt": job.attempt,
            "b_refund": refund,
            "b_error": error,
            "now": now,
        }
        for jobs, refund, error in ((running, 0, "database_unavailable"), (waiting, 1, None))
        for job in jobs
    ]
    if rows:
        with unit_of_work(sessions) as session:
            session.connection().execute(_RELEASE, rows)


# Jobs claimed per claim transaction: fewer transactions, while a batch stays well inside its lease.
# Kinds with a batch handler run the jobs of one claim in one transaction (docs/decisions/0020).
BATCH = 100


class Worker:
    """Runs job handlers; one per process (``civicid worker``) or a thread inside ``civicid serve``."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        clock: Clock,
        handlers: Mapping[str, Handler],
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        name: str | None = None,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        max_attempts: int = 8,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.handlers = dict(handlers)
        self.batch_handlers = dict(batch_handlers or {})
        self.name = name or worker_name()
        self.lease = lease
        self.max_attempts = max_attempts
        # The (running, waiting) jobs of a batch an outage cut short, until they are given back.
        self._stranded: tuple[list[ClaimedJob], list[ClaimedJob]] | None = None

    def run_one(self) -> ClaimedJob | None:
        """Claim and run one job; returns it, or None when nothing is ready."""
        self.release_stranded()
        job = claim(
            sessions=self.sessions, clock=self.clock, kinds=list(self.handlers), worker=self.name, lease=self.lease
        )
        if job is not None:
            with self._stranding_on_outage([job]) as started:
                started.append(job)
                self.run_claimed(job)
        return job

    def run_batch(self, limit: int = 20) -> int:
        """Claim up to ``limit`` jobs in one transaction, then run each; returns how many ran.

        A database outage stops the batch: the error goes to the caller, and the jobs not finished
        are given back (:func:`release`) by the first call once the database answers again.
        """
        self.release_stranded()
        batch = claim_batch(
            sessions=self.sessions,
            clock=self.clock,
            kinds=list(self.handlers),
            worker=self.name,
            lease=self.lease,
            limit=limit,
            max_attempts=self.max_attempts,
        )
        by_kind: dict[str, list[ClaimedJob]] = {}
        for job in batch:
            by_kind.setdefault(job.kind, []).append(job)
        with self._stranding_on_outage(batch) as started:
            for kind, jobs in by_kind.items():
                if kind in self.batch_handlers and len(jobs) > 1 and self._run_set(kind, jobs):
                    started.extend(jobs)
                    continue
                for job in jobs:
                    started.append(job)
                    self.run_claimed(job)
        return len(batch)

    @contextmanager
    def _stranding_on_outage(self, batch: list[ClaimedJob]) -> Iterator[list[ClaimedJob]]:
        """Note which of ``batch`` are unfinished when an outage ends it: the last started one was running."""
        started: list[ClaimedJob] = []
        try:
            yield started
        except Exception as exc:
            if is_outage(exc):
                running = started[-1:]
                done = {job.id for job in started[:-1]}
                waiting = [job for job in batch if job.id not in done and job not in running]
                self._stranded = (running, waiting)
            raise

    def release_stranded(self) -> None:
        """Give back the jobs an outage left this worker holding (a no-op when there are none)."""
        if self._stranded is not None:
            running, waiting = self._stranded
            release(sessions=self.sessions, clock=self.clock, running=running, waiting=waiting)
            self._stranded = None

    def _run_set(self, kind: str, jobs: list[ClaimedJob]) -> bool:
        """Run one kind's jobs set-based in one transaction; False (nothing kept) if it raised.

        The caller then runs each job alone, so that one failing subject is retried on its own and
        the others go through; in an outage, the first of them meets it again and stops the batch.
        """
        try:
            with unit_of_work(self.sessions) as session:
                self.batch_handlers[kind](session, self.clock, [job.subject_id for job in jobs])
                complete_batch(session=session, clock=self.clock, jobs=jobs)
        except Exception:  # any failure: fall back to one job per transaction
            return False
        return True

    def run_claimed(self, job: ClaimedJob) -> None:
        """Run the handler and complete the job in one transaction; record a failure for a retry.

        A database outage is not the job's failure: it is raised to the caller (see :meth:`run_batch`).
        """
        try:
            with unit_of_work(self.sessions) as session:
                self.handlers[job.kind](session, self.clock, job.subject_id)
                complete(session=session, clock=self.clock, job=job)
        except LeaseLost:
            return
        except CivicIDError as exc:
            fail(sessions=self.sessions, clock=self.clock, job=job, error=exc.code, max_attempts=self.max_attempts)
        except Exception as exc:  # a bug in one job must not stop the worker: it is retried, then failed
            if is_outage(exc):
                raise
            fail(
                sessions=self.sessions,
                clock=self.clock,
                job=job,
                error=type(exc).__name__,
                max_attempts=self.max_attempts,
            )

    def run_until_idle(self, limit: int | None = None) -> int:
        """Run ready jobs until none is left (or ``limit`` ran); returns how many ran."""
        count = 0
        while limit is None or count < limit:
            ran = self.run_batch(BATCH if limit is None else min(BATCH, limit - count))
            if ran == 0:
                return count
            count += ran
        return count


def counts_by_state(*, session: Session, kind_prefix: str = "") -> dict[str, int]:
    query = select(Job.state, func.count()).group_by(Job.state)
    if kind_prefix:
        query = query.where(Job.kind.startswith(kind_prefix))
    return {state.value: int(n) for state, n in session.execute(query).all()}
