"""The wallet: documents handed over once, confirmed or refused when the holder activates, counted by village."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.factories import (
    COMMUNE,
    HEALTH,
    LICENCE,
    MakePerson,
    activated_phone,
    handed_over,
    holder_phone,
    registered_household,
    registered_person,
    registered_village,
)

from civicid.campaign import figures
from civicid.core.audit import SYSTEM, AuditEntry
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry.models import Person, SignalQuality
from civicid.registry.schemas import PersonRead
from civicid.wallet import service as wallet
from civicid.wallet.adapters import SimulatedDocumentAuthority
from civicid.wallet.errors import InvalidDocument
from civicid.wallet.models import DocumentKind, DocumentStatus, WalletDocument
from civicid.wallet.schemas import DocumentIn, WalletRead

MALFORMED = DocumentIn(kind="health_insurance", number="BHYT-??")


def _wallet(context: Context, person: PersonRead) -> WalletRead:
    with unit_of_work(context.database.sessions) as session:
        return wallet.list_documents(session=session, clock=context.clock, actor=SYSTEM, person_id=person.id)


class TestHandOver:
    def test_documents_are_handed_over_once_even_if_the_stage_runs_twice(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        assert handed_over(context, person, LICENCE, HEALTH) == 2
        assert handed_over(context, person, LICENCE, HEALTH) == 0
        # A later application listing the same licence adds nothing either.
        assert handed_over(context, person, LICENCE, source="application:A2") == 0
        documents = _wallet(context, person).documents
        assert sorted((d.kind, d.status) for d in documents) == [
            (DocumentKind.DRIVING_LICENCE, DocumentStatus.REQUESTED),
            (DocumentKind.HEALTH_INSURANCE, DocumentStatus.REQUESTED),
        ]
        with unit_of_work(context.database.sessions) as session:
            requests = session.scalars(select(AuditEntry).where(AuditEntry.action == "wallet.document_request")).all()
        assert len(requests) == 2
        assert all(LICENCE.number not in str(e.details) for e in requests)

    def test_many_holders_in_one_batch(self, context: Context, make_person: MakePerson) -> None:
        first, second = make_person(), make_person("Lò Thị Hoa")
        with unit_of_work(context.database.sessions) as session:
            added = wallet.hand_over_documents(
                session=session,
                clock=context.clock,
                actor=SYSTEM,
                handovers=[
                    wallet.Handover(first.id, "application:A1", [LICENCE]),
                    wallet.Handover(second.id, "application:A2", [LICENCE, HEALTH]),
                ],
            )
        assert added == 3

    def test_an_unknown_kind_is_refused(self, context: Context, make_person: MakePerson) -> None:
        with pytest.raises(InvalidDocument):
            handed_over(context, make_person(), DocumentIn(kind="fishing_licence", number="1"))


class TestConfirmation:
    def test_documents_wait_until_the_holder_activates_then_are_confirmed_or_refused(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        handed_over(context, person, LICENCE, MALFORMED)
        assert {d.status for d in _wallet(context, person).documents} == {DocumentStatus.REQUESTED}
        done = holder_phone(context, person).activate()
        assert (done.documents_integrated, done.documents_refused) == (1, 1)
        by_kind = {d.kind: d for d in _wallet(context, person).documents}
        assert by_kind[DocumentKind.DRIVING_LICENCE].status is DocumentStatus.INTEGRATED
        assert by_kind[DocumentKind.HEALTH_INSURANCE].status is DocumentStatus.REFUSED
        assert by_kind[DocumentKind.HEALTH_INSURANCE].reason == "number_malformed"
        assert by_kind[DocumentKind.DRIVING_LICENCE].decided_at == context.clock.now()

    def test_documents_requested_after_activation_are_confirmed_at_the_next_login(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        holder = activated_phone(context, person)
        handed_over(context, person, HEALTH, source="application:A2")
        assert _wallet(context, person).documents[0].status is DocumentStatus.REQUESTED
        holder.login()
        assert _wallet(context, person).documents[0].status is DocumentStatus.INTEGRATED


@pytest.mark.parametrize(
    ("kind", "number", "extra", "confirmed"),
    [
        (DocumentKind.DRIVING_LICENCE, "019123450001", {"class": "B2"}, True),
        (DocumentKind.DRIVING_LICENCE, "019123450001", {"class": "Z9"}, False),
        (DocumentKind.DRIVING_LICENCE, "01912345", None, False),
        (DocumentKind.HEALTH_INSURANCE, "GD40191234500", None, True),
        (DocumentKind.HEALTH_INSURANCE, "GD90191234500", None, False),
        (DocumentKind.VEHICLE_REGISTRATION, "20A1-123.45", None, True),
        (DocumentKind.VEHICLE_REGISTRATION, "ABC", None, False),
        (DocumentKind.SOCIAL_INSURANCE, "0123456789", None, True),
        (DocumentKind.SOCIAL_INSURANCE, "012345678", None, False),
        (DocumentKind.TAX, "0101234567-001", None, True),
        (DocumentKind.TAX, "01012", None, False),
    ],
)
def test_the_simulated_agencies_confirm_well_formed_numbers_only(
    kind: DocumentKind, number: str, extra: dict[str, str] | None, confirmed: bool
) -> None:
    answer = SimulatedDocumentAuthority().confirm(kind=kind, number=number, extra=extra, id_number="019095001234")
    assert answer.confirmed is confirmed
    assert (answer.reason is None) is confirmed


def test_integrated_counts_by_village_equal_direct_counts(
    context: Context, make_person: MakePerson, household_id: int
) -> None:
    village = registered_village(context, "Thôn Khuổi Tát", distance_km=3, signal=SignalQuality.GOOD)
    household = registered_household(context, village.id, address="Khuổi Tát")
    far = registered_person(context, household.id, "Ma Văn Sơn", dt.date(1990, 5, 1))
    near_1, near_2, waiting = make_person(), make_person("Lò Thị Hoa"), make_person("Đinh Thị Mai")
    for person, phone in ((near_1, "0912000001"), (near_2, "0912000002"), (far, "0912000003")):
        handed_over(context, person, LICENCE, MALFORMED if person is near_2 else HEALTH)
        activated_phone(context, person, phone)
    handed_over(context, waiting, LICENCE)  # not activated: requested, not counted
    with unit_of_work(context.database.sessions) as session:
        counted = wallet.integrated_by_village(session=session, commune_codes=[COMMUNE])
        campaign = figures.documents_integrated(session=session, commune_codes=[COMMUNE])
        # The direct count: each integrated document, its holder's village read from the registry.
        direct: dict[int, int] = {}
        for person_id in session.scalars(
            select(WalletDocument.person_id).where(WalletDocument.status == DocumentStatus.INTEGRATED)
        ):
            village_id = session.get(Person, person_id).village_id  # type: ignore[union-attr]
            direct[village_id] = direct.get(village_id, 0) + 1
        nowhere = wallet.integrated_by_village(session=session, commune_codes=["00001"])
    assert counted == direct == dict(campaign)
    assert counted == {near_1.village_id: 3, village.id: 2}  # near_2's malformed card was refused
    assert nowhere == {}
