"""The issue stage hands form TK01's documents to the wallet, in its own transaction, once."""

from __future__ import annotations

from collections.abc import Callable

from tests.factories import ADMIN, PeopleOf, approved, captured_packet, delivered

from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment.tasks import Pipeline
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, sample_documents
from civicid.wallet import service as wallet
from civicid.wallet.models import DocumentStatus
from civicid.wallet.schemas import DocumentIn


def test_issued_applications_hand_their_documents_over_as_requested(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: Callable[[], int]
) -> None:
    adults = people("14_plus", 2)
    packets = [captured_packet(context, kit, a, documents=sample_documents(a)) for a in adults]
    for packet in packets:
        delivered(context, packet)
    run_pipeline()
    for packet in packets:
        approved(context, packet.envelope.application_id)
    run_pipeline()
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
                wallet.Handover(a.id, f"application:{p.envelope.application_id}", _documents_in(a))
                for a, p in zip(adults, packets, strict=True)
            ],
        )
    for adult, held in zip(adults, wallets, strict=True):
        expected = sorted((d.kind.value, d.number) for d in sample_documents(adult))
        assert sorted((d.kind.value, d.number) for d in held.documents) == expected
        assert {d.status for d in held.documents} == {DocumentStatus.REQUESTED}
        assert all(d.source.startswith("application:") for d in held.documents)
    assert again == 0


def _documents_in(adult: PersonRead) -> list[DocumentIn]:
    return [DocumentIn(kind=d.kind.value, number=d.number, extra=d.extra) for d in sample_documents(adult)]
