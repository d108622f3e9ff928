"""A simulated enrollment round for the demo and the benchmarks: captures, impostors, decisions.

An operator's kit captures adults of the commune (with the documents they ask to integrate) and a
few children's cards; ``duplicates`` impostors try to enroll a second time under a neighbour's ID
number. Everything goes through the real intake and pipeline; a supervisor who is not the operator
then approves what is waiting, and the issue stage queues the SMS.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from civicid.biometrics.dedup import thresholds_for
from civicid.biometrics.simulated import SIM_FACE, capture_vector
from civicid.core.audit import Actor
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment import approval
from civicid.enrollment import queries as enrollment_queries
from civicid.enrollment.runtime import build_worker, keystore_of
from civicid.enrollment.stats import enrollment_stats
from civicid.enrollment.tasks import Pipeline
from civicid.registry import service as registry
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, deliver, sample_documents

SIMULATOR = Actor("system", "simulator")


@dataclass(frozen=True)
class EnrollmentRound:
    captured: int
    impostors: int
    stats: dict[str, object]


def adults_to_enroll(context: Context, commune_code: str, count: int, seed: int) -> list[PersonRead]:
    """Present adults with a phone number, in a reproducible order (``seed``)."""
    with unit_of_work(context.database.sessions) as session:
        ids = registry.enrollable_adults(
            session=session, commune_code=commune_code, reference_date=context.clock.today()
        )
        chosen = random.Random(seed).sample(list(ids), min(count, len(ids)))
        return [registry.get_person(session=session, clock=context.clock, actor=SIMULATOR, person_id=i) for i in chosen]


def simulate_round(
    *,
    context: Context,
    pipeline: Pipeline,
    commune_code: str,
    captures: int,
    duplicates: int = 0,
    suspected: int = 0,
    approve: bool = True,
    operator: str = "operator",
    supervisor: str = "supervisor",
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> EnrollmentRound:
    """Capture, deliver, process, approve and issue; returns the enrollment figures afterwards."""
    server = keystore_of(context).sealing_public_key()
    with unit_of_work(context.database.sessions) as session:
        kit = SimulatedKit.register(
            session=session, clock=context.clock, actor=SIMULATOR, commune_code=commune_code, operator=operator
        )
    people = adults_to_enroll(context, commune_code, captures + duplicates + suspected, seed)
    genuine, impostors, doubtful = (
        people[:captures],
        people[captures : captures + duplicates],
        people[captures + duplicates :],
    )
    packets = [
        kit.capture(
            person=p,
            clock=context.clock,
            server_public_key=server,
            documents=sample_documents(p, context.clock.today()),
            capture_seed=seed,
        )
        for p in genuine
    ]
    # An impostor shows their own face (the identity of someone already captured) with another's card.
    packets += [
        kit.capture(
            person=p,
            clock=context.clock,
            server_public_key=server,
            identity_seed=genuine[i].id,
            capture_seed=seed + 1000,
        )
        for i, p in enumerate(impostors)
        if genuine
    ]
    # A poor capture of an impostor: close enough to their first enrollment for a supervisor to look.
    packets += [
        kit.capture(
            person=p,
            clock=context.clock,
            server_public_key=server,
            identity_seed=genuine[-1 - i].id,
            capture_seed=review_band_seed(genuine[-1 - i].id, seed),
        )
        for i, p in enumerate(doubtful)
        if genuine
    ]
    for done, packet in enumerate(packets, start=1):
        with unit_of_work(context.database.sessions) as session:
            deliver(session=session, clock=context.clock, blobs=pipeline.blobs, packet=packet)
        if progress is not None:
            progress(done)
    worker = build_worker(context, pipeline, name="simulator")
    worker.run_until_idle()
    if approve:
        approve_waiting(context, commune_code, supervisor)
        worker.run_until_idle()
    with unit_of_work(context.database.sessions) as session:
        stats = enrollment_stats(session=session, commune_code=commune_code)
    return EnrollmentRound(captured=len(genuine), impostors=len(impostors) + len(doubtful), stats=stats)


def review_band_seed(identity_seed: int, reference_seed: int) -> int:
    """A capture seed whose face scores in the manual-review band against the reference capture."""
    limits = thresholds_for(SIM_FACE.model, SIM_FACE.version)
    reference, _ = capture_vector(identity_seed, reference_seed, SIM_FACE)
    for seed in range(reference_seed + 1, reference_seed + 20_000):
        vector, _ = capture_vector(identity_seed, seed, SIM_FACE)
        if limits.review_at + 0.02 <= float(np.dot(reference, vector)) < limits.duplicate_at - 0.02:
            return seed
    raise LookupError("no capture in the review band")


def approve_waiting(context: Context, commune_code: str, supervisor: str) -> int:
    """The supervisor's end of day: approve every application awaiting approval that was captured by
    now on the simulation's clock (maker-checker holds): none is decided before its capture."""
    actor = Actor("staff", supervisor)
    with unit_of_work(context.database.sessions) as session:
        waiting = enrollment_queries.awaiting_approval(session, commune_code, captured_by=context.clock.now())
        for application_id in waiting:
            approval.approve(session=session, clock=context.clock, supervisor=actor, application_id=application_id)
    return len(waiting)
