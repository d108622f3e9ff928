"""The issue stage hands form TK01's documents to the wallet, in its own transaction, once."""

from __future__ import annotations

from collections.abc import Callable

from tests.enrollment.conftest import ADMIN, SUPERVISOR, PeopleOf, commune, kit, people, pipeline, run_pipeline
from tests.enrollment.test_pipeline import _capture, _deliver

from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment import approval
from civicid.enrollment.tasks import Pipeline
from civicid.protocol.packet import Packet
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, sample_documents
from civicid.wallet import service as wallet
from civicid.wallet.models import DocumentStatus
from civicid.wallet.schemas import DocumentIn

__all__ = ["commune", "kit", "people", "pipeline", "run_pipeline"]  # the enrollment tests' fixtures


def _issued(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, adults: list[PersonRead], run: Callable[[], int]
) -> list[Packet]:
    """Capture the adults with their TK01 documents, run the pipeline, approve, and issue."""
    today = context.clock.today()
    packets = [_capture(context, kit, a, documents=sample_documents(a, today)) for a in adults]
    for packet in packets:
        _deliver(context, pipeline, packet)
    run()
    with unit_of_work(context.database.sessions) as session:
        for packet in packets:
            approval.approve(
                session=session,
                clock=context.clock,
                supervisor=SUPERVISOR,
                application_id=packet.envelope.application_id,
            )
    run()
    return packets


def _with_documents(context: Context, people: PeopleOf, count: int) -> list[PersonRead]:
    today = context.clock.today()
    return [a for a in people("14_plus", 12) if sample_documents(a, today)][:count]


def test_issued_applications_hand_their_documents_over_as_requested_once(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: Callable[[], int]
) -> None:
    adults = _with_documents(context, people, 2)
    packets = _issued(context, pipeline, kit, adults, run_pipeline)
    today = context.clock.today()
    with unit_of_work(context.database.sessions) as session:
        wallets = [
            wallet.list_documents(session=session, clock=context.clock, actor=ADMIN, person_id=a.id) for a in adults
        ]
        # The stage running again for the same applications (a retried job) hands nothing over twice.
        again = wallet.hand_over_documents(
            session=session,
            clock=context.clock,
            actor=ADMIN,
            handovers=[
                wallet.Handover(a.id, f"application:{p.envelope.application_id}", _documents_in(a, context))
                for a, p in zip(adults, packets, strict=True)
            ],
        )
    for adult, held in zip(adults, wallets, strict=True):
        expected = sorted((d.kind.value, d.number[-4:]) for d in sample_documents(adult, today))
        assert sorted((d.kind.value, d.masked_number[-4:]) for d in held.documents) == expected
        assert {d.status for d in held.documents} == {DocumentStatus.REQUESTED}
        assert all(d.source.startswith("application:") for d in held.documents)
    assert again == 0


def _documents_in(adult: PersonRead, context: Context) -> list[DocumentIn]:
    documents = sample_documents(adult, context.clock.today())
    return [DocumentIn(kind=d.kind.value, number=d.number, extra=d.extra) for d in documents]
