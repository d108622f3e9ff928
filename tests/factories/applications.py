"""Applications taken through the real intake and pipeline: checked, decided, suspected duplicates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.zone import TIME_ZONE
from civicid.enrollment import approval
from civicid.enrollment.models import Application, ApplicationEvent
from civicid.enrollment.runtime import build_worker
from civicid.enrollment.tasks import Pipeline
from civicid.protocol.codes import ApplicationStatus
from civicid.registry import service as registry
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, sample_documents
from civicid.sim.enrollment import approve_waiting, review_band_seed

from .actors import ADMIN, SUPERVISOR
from .kits import captured_packet, delivered


def run_jobs(context: Context, pipeline: Pipeline) -> int:
    """Let a worker run the pipeline's jobs until none is left; how many it ran."""
    return build_worker(context, pipeline, name="test-worker").run_until_idle()


def checked_application(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, person: PersonRead, **options: object
) -> str:
    """The kit captures the person, the packet is delivered and the pipeline checks it: the application's id."""
    packet = captured_packet(context, kit, person, **options)
    delivered(context, packet)
    run_jobs(context, pipeline)
    return packet.envelope.application_id


def checked_on_day(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, person_ids: list[int], captured_on: dt.date
) -> None:
    """The kit captures these people, with their documents, on that day (09:00 in the commune).

    The packets reach the server now, and the pipeline checks them.
    """
    then = FixedClock(dt.datetime.combine(captured_on, dt.time(9, 0), tzinfo=TIME_ZONE), zone=TIME_ZONE)
    with unit_of_work(context.database.sessions) as session:
        people = [
            registry.get_person(session=session, clock=context.clock, actor=ADMIN, person_id=i) for i in person_ids
        ]
    for person in people:
        delivered(context, captured_packet(context, kit, person, clock=then, documents=sample_documents(person)))
    run_jobs(context, pipeline)


def issue_waiting(context: Context, pipeline: Pipeline, commune_code: str) -> int:
    """The demo's supervisor approves what waits, and the pipeline issues the accounts; how many."""
    decided = approve_waiting(context, commune_code, SUPERVISOR.name)
    run_jobs(context, pipeline)
    return decided


def approved(context: Context, application_id: str) -> None:
    """The demo's supervisor approves the application (the issue stage runs with the pipeline's next jobs)."""
    with unit_of_work(context.database.sessions) as session:
        approval.approve(session=session, clock=context.clock, supervisor=SUPERVISOR, application_id=application_id)


def application_status(context: Context, application_id: str) -> tuple[ApplicationStatus, str | None]:
    with unit_of_work(context.database.sessions) as session:
        application = session.get(Application, application_id)
        assert application is not None
        return application.status, application.status_reason


def stages_of(context: Context, application_id: str) -> list[str]:
    """The stages on the application's timeline, in order."""
    with unit_of_work(context.database.sessions) as session:
        query = select(ApplicationEvent.stage).where(ApplicationEvent.application_id == application_id)
        return list(session.scalars(query.order_by(ApplicationEvent.id)))


def suspected_duplicate(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, genuine: PersonRead, impostor: PersonRead
) -> tuple[str, str]:
    """The genuine person enrolls; the impostor enrolls under their own record with the genuine face.

    The impostor's capture scores in the manual-review band, so the pipeline puts it in the
    supervisor's adjudication queue. Returns both applications' ids, the genuine first.
    """
    first = checked_application(context, pipeline, kit, genuine)
    seed = review_band_seed(genuine.id, 1)
    second = checked_application(context, pipeline, kit, impostor, identity_seed=genuine.id, capture_seed=seed)
    with unit_of_work(context.database.sessions) as session:
        application = session.get(Application, second)
        assert application is not None
        assert (application.status, application.duplicate_of) == (ApplicationStatus.SUSPECTED_DUPLICATE, first)
    return first, second
