"""The issue stage hands form TK01's documents and the enrollment portrait to the wallet, in its own
transaction, once; at activation the documents go to the simulated agencies that hold them, and the
e-ID card shows the portrait."""

from __future__ import annotations

from collections.abc import Callable

from tests.factories import ADMIN, PeopleOf, Phone, approved, captured_packet, delivered

from civicid.accounts import service as accounts
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment.tasks import Pipeline
from civicid.protocol.packet import Packet
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, portrait_svg, sample_documents
from civicid.wallet import card
from civicid.wallet import service as wallet
from civicid.wallet.models import DocumentStatus
from civicid.wallet.portraits import SVG, PortraitVault
from civicid.wallet.schemas import DocumentIn


def _issued(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, adults: list[PersonRead], run: Callable[[], int]
) -> list[Packet]:
    """Capture the adults with their TK01 documents, run the pipeline, approve, and issue."""
    today = context.clock.today()
    packets = [captured_packet(context, kit, a, documents=sample_documents(a, today)) for a in adults]
    for packet in packets:
        delivered(context, packet)
    run()
    for packet in packets:
        approved(context, packet.envelope.application_id)
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


def test_at_activation_the_tk01_documents_go_to_the_agencies_and_the_card_shows_the_portrait(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: Callable[[], int]
) -> None:
    (adult,) = _with_documents(context, people, 1)
    _issued(context, pipeline, kit, [adult], run_pipeline)
    with unit_of_work(context.database.sessions) as session:
        account = accounts.get_account_by_person(session=session, person_id=adult.id)
    assert adult.phone is not None
    holder = Phone(context, adult, account, phone=adult.phone)
    done = holder.activate()
    asked = len(sample_documents(adult, context.clock.today()))
    assert done.documents_integrated + done.documents_refused == asked
    assert done.documents_integrated >= 1  # the simulator's captures are documents the agencies hold
    with unit_of_work(context.database.sessions) as session:
        shown = card.read_card(session=session, clock=context.clock, account_id=account.id, person_id=adult.id)
        portrait = card.read_portrait(
            session=session,
            clock=context.clock,
            vault=PortraitVault.of_data_dir(context.settings.data_dir),
            account_id=account.id,
            person_id=adult.id,
        )
    assert (shown.format, shown.id_number, shown.full_name) == ("civicid-card/1", adult.id_number, adult.full_name)
    assert (shown.level, shown.account_status) == (2, "active")
    assert shown.portrait == card.PORTRAIT_PATH
    # The simulator draws its portraits as SVG; the same drawing comes back, opened from its seal.
    assert (portrait.media_type, portrait.image) == (SVG, portrait_svg(adult.id))


def _documents_in(adult: PersonRead, context: Context) -> list[DocumentIn]:
    documents = sample_documents(adult, context.clock.today())
    return [DocumentIn(kind=d.kind.value, number=d.number, extra=d.extra) for d in documents]
