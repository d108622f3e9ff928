"""The job queue's rules (DESIGN.md decision 2), on SQLite and PostgreSQL.

A handler's "effect" here is a job of another kind that it enqueues in its own transaction: it is
visible afterwards exactly when the handler's transaction committed.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tests.support.outage import connection_lost

from civicid.core import jobs
from civicid.core.clock import Clock, FixedClock
from civicid.core.database import unit_of_work
from civicid.core.errors import InvalidInput
from civicid.core.jobs import ClaimedJob, Job, JobState, Worker
from civicid.core.runtime import Database

WORK = "test.work"
EFFECT = "test.effect"
LEASE = dt.timedelta(seconds=30)


def _enqueue(database: Database, clock: Clock, *subjects: str, kind: str = WORK) -> None:
    with unit_of_work(database.sessions) as session:
        for subject in subjects:
            jobs.enqueue(session=session, clock=clock, kind=kind, subject_id=subject)


def _jobs(database: Database, kind: str = WORK) -> dict[str, Job]:
    with unit_of_work(database.sessions) as session:
        return {job.subject_id: job for job in session.scalars(select(Job).where(Job.kind == kind))}


def _effects(database: Database) -> set[str]:
    return set(_jobs(database, EFFECT))


def _effect(session: Session, clock: Clock, subject_id: str) -> None:
    jobs.enqueue(session=session, clock=clock, kind=EFFECT, subject_id=subject_id)


def _worker(
    database: Database, clock: Clock, handler: Callable[[Session, Clock, str], None], **options: object
) -> Worker:
    return Worker(sessions=database.sessions, clock=clock, handlers={WORK: handler}, lease=LEASE, **options)  # type: ignore[arg-type]


def test_enqueuing_the_same_work_twice_is_one_job(database: Database, clock: FixedClock) -> None:
    _enqueue(database, clock, "a", "a")
    _enqueue(database, clock, "a", "b")
    clock.advance(dt.timedelta(minutes=1))
    _enqueue(database, clock, "a")
    _enqueue(database, clock, "a", kind=EFFECT)  # another kind of work on the same subject is another job

    queued = _jobs(database)
    assert sorted(queued) == ["a", "b"]
    assert queued["a"].created_at == queued["b"].created_at  # the first enqueue is kept as it was
    assert set(_jobs(database, EFFECT)) == {"a"}


def test_a_handlers_effects_commit_with_the_jobs_completion(database: Database, clock: FixedClock) -> None:
    _enqueue(database, clock, "a")
    worker = _worker(database, clock, lambda session, clock, subject: _effect(session, clock, f"done:{subject}"))

    ran = worker.run_one()

    assert ran is not None
    assert (ran.subject_id, ran.attempt) == ("a", 1)
    job = _jobs(database)["a"]
    assert (job.state, job.attempts, job.finished_at, job.lease_until) == (JobState.DONE, 1, clock.now(), None)
    assert _effects(database) == {"done:a"}
    assert worker.run_one() is None  # a done job is never run again


def test_a_failing_handlers_effects_roll_back_and_it_is_retried_later_with_backoff(
    database: Database, clock: FixedClock
) -> None:
    _enqueue(database, clock, "a")
    calls: list[str] = []

    def flaky(session: Session, clock: Clock, subject: str) -> None:
        calls.append(subject)
        _effect(session, clock, f"try:{len(calls)}")
        if len(calls) == 1:
            raise InvalidInput("the agency did not answer", code_detail="x")

    worker = _worker(database, clock, flaky)
    worker.run_one()

    job = _jobs(database)["a"]
    assert (job.state, job.attempts, job.last_error, job.lease_until) == (JobState.QUEUED, 1, "invalid_input", None)
    # Full jitter after the first attempt: somewhere in the next base · 2¹ = 4 seconds.
    assert clock.now() < job.run_after <= clock.now() + dt.timedelta(seconds=4)
    assert _effects(database) == set()
    assert worker.run_one() is None  # not before its time
    clock.advance(job.run_after - clock.now())

    assert worker.run_one() is not None

    job = _jobs(database)["a"]
    assert (job.state, job.attempts, job.last_error) == (JobState.DONE, 2, None)
    assert _effects(database) == {"try:2"}


def test_a_handler_that_keeps_failing_is_given_up_after_max_attempts_and_its_message_is_not_kept(
    database: Database, clock: FixedClock
) -> None:
    _enqueue(database, clock, "a")

    def broken(session: Session, clock: Clock, subject: str) -> None:
        raise ValueError("Nguyễn Văn An, 001090012345")  # a message may carry personal data

    worker = _worker(database, clock, broken, max_attempts=3)
    attempts = []
    for _ in range(5):
        ran = worker.run_one()
        attempts.append(ran.attempt if ran else None)
        clock.advance(dt.timedelta(minutes=11))  # past any backoff (capped at 10 minutes)

    assert attempts == [1, 2, 3, None, None]
    job = _jobs(database)["a"]
    assert (job.state, job.attempts, job.last_error) == (JobState.FAILED, 3, "ValueError")
    assert job.finished_at is not None


@pytest.mark.parametrize("attempt", [0, 1, 3, 8, 20])
def test_backoff_is_full_jitter_under_an_exponential_capped_at_ten_minutes(attempt: int) -> None:
    bound = dt.timedelta(seconds=min(600.0, 2.0 * 2**attempt))
    delays = [jobs.backoff(attempt) for _ in range(200)]
    assert all(dt.timedelta() <= d <= bound for d in delays)
    assert max(delays) > bound / 2  # spread over the whole window, not a fixed delay


def test_a_job_whose_worker_died_is_claimed_again_once_its_lease_expires(database: Database, clock: FixedClock) -> None:
    _enqueue(database, clock, "a")
    dead = jobs.claim(sessions=database.sessions, clock=clock, kinds=[WORK], worker="dead", lease=LEASE)
    assert dead is not None
    worker = _worker(database, clock, lambda session, clock, subject: _effect(session, clock, subject), name="alive")

    assert worker.run_one() is None  # the lease still holds
    clock.advance(LEASE)
    assert worker.run_one() is None  # a lease is held until strictly after it ends
    clock.advance(dt.timedelta(seconds=1))
    ran = worker.run_one()

    assert ran is not None
    assert (ran.attempt, ran.worker) == (2, "alive")
    job = _jobs(database)["a"]
    assert (job.state, job.attempts, job.worker) == (JobState.DONE, 2, "alive")
    assert _effects(database) == {"a"}


def test_a_worker_that_lost_its_lease_to_another_commits_nothing(database: Database, clock: FixedClock) -> None:
    _enqueue(database, clock, "a")
    calls: list[str] = []
    fast_ran: list[ClaimedJob | None] = []

    def handler(session: Session, clock: Clock, subject: str) -> None:
        calls.append(subject)
        if len(calls) == 1:
            # The first worker stalls past its lease (before touching the database: SQLite would
            # otherwise hold its write lock), and the second worker takes the job over meanwhile.
            assert isinstance(clock, FixedClock)
            clock.advance(LEASE + dt.timedelta(seconds=1))
            fast_ran.append(fast.run_one())
            _effect(session, clock, "by:slow")
        else:
            _effect(session, clock, "by:fast")

    slow = _worker(database, clock, handler, name="slow")
    fast = _worker(database, clock, handler, name="fast")

    ran = slow.run_one()  # returns normally: LeaseLost is the expected end of a taken-over job

    assert ran is not None
    assert (ran.worker, ran.attempt) == ("slow", 1)
    assert fast_ran[0] is not None
    assert (fast_ran[0].worker, fast_ran[0].attempt) == ("fast", 2)
    assert calls == ["a", "a"]
    job = _jobs(database)["a"]
    assert (job.state, job.attempts, job.worker, job.last_error) == (JobState.DONE, 2, "fast", None)
    assert _effects(database) == {"by:fast"}


def test_completing_with_a_lost_lease_raises_lease_lost(database: Database, clock: FixedClock) -> None:
    _enqueue(database, clock, "a")
    first = jobs.claim(sessions=database.sessions, clock=clock, kinds=[WORK], worker="first", lease=LEASE)
    clock.advance(LEASE + dt.timedelta(seconds=1))
    second = jobs.claim(sessions=database.sessions, clock=clock, kinds=[WORK], worker="second", lease=LEASE)
    assert first is not None
    assert second is not None
    assert first.id == second.id

    def complete_as_the_first_worker() -> None:
        with unit_of_work(database.sessions) as session:
            _effect(session, clock, "by:first")
            jobs.complete(session=session, clock=clock, job=first)

    with pytest.raises(jobs.LeaseLost):
        complete_as_the_first_worker()
    # A late failure report of the first worker does not disturb the second either.
    jobs.fail(sessions=database.sessions, clock=clock, job=first, error="late", max_attempts=1)

    job = _jobs(database)["a"]
    assert (job.state, job.worker, job.attempts, job.last_error) == (JobState.RUNNING, "second", 2, None)
    assert _effects(database) == set()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_concurrent_claims_skip_each_others_locked_job(database: Database, clock: FixedClock) -> None:
    _enqueue(database, clock, "a", "b")
    holding, released = threading.Event(), threading.Event()
    claimed: dict[str, ClaimedJob | None] = {}
    waited: list[bool] = []

    def pause_inside_the_claim(_conn, _cursor, statement: str, *_: object) -> None:  # type: ignore[no-untyped-def]
        # The claim has locked its row and is about to take it: hold its transaction open there.
        if threading.current_thread().name == "first" and statement.startswith("UPDATE job"):
            holding.set()
            waited.append(released.wait(timeout=10))

    def first() -> None:
        claimed["first"] = jobs.claim(sessions=database.sessions, clock=clock, kinds=[WORK], worker="first")

    event.listen(database.engine, "after_cursor_execute", pause_inside_the_claim)
    try:
        thread = threading.Thread(target=first, name="first")
        thread.start()
        assert holding.wait(timeout=10)
        # The first claim holds its row lock: the second must not wait for it.
        claimed["second"] = jobs.claim(sessions=database.sessions, clock=clock, kinds=[WORK], worker="second")
        released.set()
        thread.join(timeout=10)
    finally:
        event.remove(database.engine, "after_cursor_execute", pause_inside_the_claim)

    assert waited == [True]  # the first claim was still open when the second finished
    one, two = claimed["first"], claimed["second"]
    assert one is not None
    assert two is not None
    assert {one.subject_id, two.subject_id} == {"a", "b"}


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_workers_draining_the_queue_at_once_run_each_job_once(database: Database, clock: FixedClock) -> None:
    subjects = [f"s{i:02}" for i in range(40)]
    _enqueue(database, clock, *subjects)
    ran: list[str] = []
    lock = threading.Lock()

    def handler(session: Session, clock: Clock, subject: str) -> None:
        _effect(session, clock, subject)
        with lock:
            ran.append(subject)

    workers = [_worker(database, clock, handler, name=f"w{i}") for i in range(4)]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(ran) == Counter(subjects)
    assert {(j.state, j.attempts) for j in _jobs(database).values()} == {(JobState.DONE, 1)}
    assert _effects(database) == set(subjects)


# --- Database outages (docs/decisions/0034-database-outages.md) ------------------------------------------


def test_an_outage_mid_batch_gives_its_jobs_back_once_the_database_answers(
    database: Database, clock: FixedClock
) -> None:
    _enqueue(database, clock, "a", "b", "c")
    calls: Counter[str] = Counter()

    def handler(session: Session, clock: Clock, subject: str) -> None:
        calls[subject] += 1
        _effect(session, clock, f"{subject}:{calls[subject]}")
        if subject == "b" and calls[subject] == 1:
            raise connection_lost()  # half done: its effect must roll back

    worker = _worker(database, clock, handler)
    with pytest.raises(OperationalError):
        worker.run_batch(10)

    # The database answers again; without waiting for any lease, the batch is given back and resumes.
    assert worker.run_batch(10) == 2
    assert calls == Counter({"a": 1, "b": 2, "c": 1})
    assert _effects(database) == {"a:1", "b:2", "c:1"}
    done = {subject: (job.state, job.attempts) for subject, job in _jobs(database).items()}
    # b's interrupted attempt counts; c, which never started, got its attempt back.
    assert done == {"a": (JobState.DONE, 1), "b": (JobState.DONE, 2), "c": (JobState.DONE, 1)}


def test_a_job_taken_over_during_an_outage_is_not_given_back(database: Database, clock: FixedClock) -> None:
    _enqueue(database, clock, "a")
    calls: list[str] = []

    def handler(session: Session, clock: Clock, subject: str) -> None:
        calls.append(subject)
        if len(calls) == 1:
            raise connection_lost()
        _effect(session, clock, subject)

    cut_off = _worker(database, clock, handler, name="cut-off")
    with pytest.raises(OperationalError):
        cut_off.run_batch()
    # The outage outlasted the lease, and another worker ran the job meanwhile.
    clock.advance(LEASE + dt.timedelta(seconds=1))
    assert _worker(database, clock, handler, name="other").run_batch() == 1

    assert cut_off.run_batch() == 0  # its stale claim is not given back: nothing runs again
    job = _jobs(database)["a"]
    assert (job.state, job.attempts, job.worker) == (JobState.DONE, 2, "other")
    assert calls == ["a", "a"]
    assert _effects(database) == {"a"}


def test_a_job_whose_completion_committed_unacknowledged_is_not_queued_again(
    database: Database, clock: FixedClock
) -> None:
    """The connection died after COMMIT reached the server: the worker cannot tell, and must not run it again."""
    _enqueue(database, clock, "a")
    job = jobs.claim(sessions=database.sessions, clock=clock, kinds=[WORK], worker="w", lease=LEASE)
    assert job is not None
    with unit_of_work(database.sessions) as session:
        _effect(session, clock, "a")
        jobs.complete(session=session, clock=clock, job=job)

    jobs.fail(sessions=database.sessions, clock=clock, job=job, error="OperationalError", max_attempts=8)
    stored = _jobs(database)["a"]
    assert (stored.state, stored.attempts, stored.last_error) == (JobState.DONE, 1, None)

    jobs.release(sessions=database.sessions, clock=clock, running=[job], waiting=[])
    stored = _jobs(database)["a"]
    assert (stored.state, stored.attempts, stored.last_error) == (JobState.DONE, 1, None)
    assert _worker(database, clock, _effect).run_batch() == 0


def test_a_job_that_breaks_the_connection_every_time_runs_out_of_attempts(
    database: Database, clock: FixedClock
) -> None:
    _enqueue(database, clock, "a")

    def handler(session: Session, clock: Clock, subject: str) -> None:
        raise connection_lost()

    worker = _worker(database, clock, handler, max_attempts=3)
    for _ in range(3):
        with pytest.raises(OperationalError):
            worker.run_batch()
    assert worker.run_batch() == 0
    job = _jobs(database)["a"]
    assert (job.state, job.attempts, job.last_error) == (JobState.FAILED, 3, "database_unavailable")
