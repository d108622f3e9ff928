"""A pipeline worker that dies by SIGKILL in the middle of one stage (test_crash_recovery.py runs it).

Environment: ``CIVICID_DATABASE_URL`` and ``CIVICID_DATA_DIR`` (the test's database and data folder),
``CRASH_AT`` (the job kind whose handler does its work and then kills the process, before the job's
transaction commits) and ``CRASH_CLOCK`` (the ISO 8601 instant this worker's clock stands at, so that
its lease is measured on the test's clock).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys

from sqlalchemy.orm import Session

from civicid.biometrics.simulated import simulated_extractors
from civicid.core.clock import Clock, FixedClock
from civicid.core.runtime import open_context
from civicid.core.settings import load_settings
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.runtime import build_pipeline, build_worker

NAME = "crashing-worker"
LEASE = dt.timedelta(seconds=1)


def main() -> None:
    crash_at = os.environ["CRASH_AT"]
    clock = FixedClock(dt.datetime.fromisoformat(os.environ["CRASH_CLOCK"]), zone=TIME_ZONE)
    context = open_context(load_settings(), clock=clock, upgrade=False)
    worker = build_worker(context, build_pipeline(context, simulated_extractors()), name=NAME)
    worker.lease = LEASE
    stage = worker.handlers[crash_at]

    def work_then_die(session: Session, clock: Clock, subject_id: str) -> None:
        stage(session, clock, subject_id)
        session.flush()  # the stage's writes are in the open transaction, not committed
        sys.stdout.write(f"killed in {crash_at} for {subject_id}\n")
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def batch_then_die(session: Session, clock: Clock, subject_ids: list[str]) -> None:
        batch(session, clock, subject_ids)
        session.flush()
        sys.stdout.write(f"killed in {crash_at} for {subject_ids[0]}\n")
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    batch = worker.batch_handlers[crash_at]
    worker.handlers[crash_at] = work_then_die
    worker.batch_handlers[crash_at] = batch_then_die
    worker.run_until_idle()
    sys.exit(f"no {crash_at} job ran")


if __name__ == "__main__":
    main()
