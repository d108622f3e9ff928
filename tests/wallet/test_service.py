"""The wallet integrates documents by reference: the holder names the key fields, the owning agency
confirms them, an outage leaves the document pending until a job integrates it, validity is flagged,
and opening a document needs the passcode."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from tests.factories import (
    COMMUNE,
    PASSCODE,
    MakePerson,
    Phone,
    handed_over,
    registered_household,
    registered_person,
    registered_village,
)
from tests.factories import issued_account as issue
from tests.factories.agencies import health_card, licence, set_down, vehicle

from civicid.accounts.activation import Activated
from civicid.accounts.errors import InvalidPasscode, PasscodeLocked
from civicid.accounts.passcode import MAX_FAILED_PASSCODES
from civicid.agencies.errors import InvalidKeyFields
from civicid.agencies.models import SimulatedLicence
from civicid.campaign import figures
from civicid.core.audit import AuditEntry
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry.models import Person, SignalQuality
from civicid.registry.schemas import PersonRead
from civicid.wallet import service as wallet
from civicid.wallet.errors import DocumentAlreadyInWallet, DocumentNotConfirmed, InvalidDocument, WalletDocumentNotFound
from civicid.wallet.models import DocumentKind, DocumentStatus, WalletDocument
from civicid.wallet.schemas import DocumentIn, WalletDocumentDetail, WalletDocumentSummary

from .support import activated, add, open_document, opened, run_wallet_jobs, wallet_of

LICENCE = DocumentKind.DRIVING_LICENCE.value
HEALTH = DocumentKind.HEALTH_INSURANCE.value


def _licence_in(number: str, licence_class: str = "A1") -> DocumentIn:
    return DocumentIn(kind=LICENCE, number=number, extra={"class": licence_class})


def _audit_details(context: Context, action: str) -> list[dict[str, object]]:
    with unit_of_work(context.database.sessions) as session:
        return [e.details or {} for e in session.scalars(select(AuditEntry).where(AuditEntry.action == action))]


class TestHandOver:
    def test_documents_are_handed_over_once_even_if_the_stage_runs_twice(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        documents = (
            _licence_in("190100000001"),
            DocumentIn(kind=HEALTH, number="1901000002", extra={"issuing_unit": "19405"}),
        )
        assert handed_over(context, person, *documents) == 2
        assert handed_over(context, person, *documents) == 0
        # A later application listing the same licence adds nothing either.
        assert handed_over(context, person, documents[0], source="application:A2") == 0
        held = wallet_of(context, person).documents
        assert sorted((d.kind, d.status) for d in held) == [
            (DocumentKind.DRIVING_LICENCE, DocumentStatus.REQUESTED),
            (DocumentKind.HEALTH_INSURANCE, DocumentStatus.REQUESTED),
        ]
        requests = _audit_details(context, "wallet.document_request")
        assert len(requests) == 2
        assert all("190100000001" not in str(d) for d in requests)

    def test_a_plate_written_with_separators_is_the_same_plate(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        fields = {"chassis_number": "RLHJA3906PY000001"}
        assert (
            handed_over(context, person, DocumentIn(kind="vehicle_registration", number="20B1-000.01", extra=fields))
            == 1
        )
        assert (
            handed_over(context, person, DocumentIn(kind="vehicle_registration", number="20b100001", extra=fields)) == 0
        )

    def test_an_unknown_kind_is_refused(self, context: Context, make_person: MakePerson) -> None:
        with pytest.raises(InvalidDocument):
            handed_over(context, make_person(), DocumentIn(kind="fishing_licence", number="1"))


class TestArrival:
    def test_tk01_documents_are_integrated_at_activation_with_the_agencys_facts(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        record = licence(context, person.id_number, classes="A1 B", valid_until=dt.date(2031, 5, 1))
        handed_over(context, person, _licence_in(record.number, "B"))
        assert wallet_of(context, person).documents[0].status is DocumentStatus.REQUESTED
        holder = activated(context, person)
        (document,) = wallet_of(context, person).documents
        assert document.status is DocumentStatus.INTEGRATED
        assert (document.verified_at, document.valid_until) == (context.clock.now(), dt.date(2031, 5, 1))
        assert document.masked_number == "********" + record.number[-4:]
        assert document.agency is not None
        assert document.agency.simulated
        opened_document = open_document(holder, document.id)
        assert isinstance(opened_document, WalletDocumentDetail)
        assert opened_document.facts is not None
        assert opened_document.facts["classes"] == ["A1", "B"]

    def test_a_tk01_licence_with_a_class_it_does_not_carry_is_refused(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        record = licence(context, person.id_number, classes="A1")
        card = health_card(context, person.id_number)
        handed_over(
            context,
            person,
            _licence_in(record.number, "B"),
            DocumentIn(kind=HEALTH, number=card.number, extra={"issuing_unit": "19405"}),
        )
        holder_done = _activate(context, person)
        assert (holder_done.documents_integrated, holder_done.documents_refused) == (1, 1)
        by_kind = {d.kind: d for d in wallet_of(context, person).documents}
        assert by_kind[DocumentKind.DRIVING_LICENCE].status is DocumentStatus.REFUSED
        assert by_kind[DocumentKind.DRIVING_LICENCE].reason == "not_confirmed"
        assert by_kind[DocumentKind.HEALTH_INSURANCE].status is DocumentStatus.INTEGRATED

    def test_an_outage_at_activation_leaves_the_document_pending_and_a_job_integrates_it(
        self, context: Context, clock: FixedClock, make_person: MakePerson
    ) -> None:
        person = make_person()
        record = licence(context, person.id_number)
        handed_over(context, person, _licence_in(record.number))
        set_down(context, DocumentKind.DRIVING_LICENCE)
        done = _activate(context, person)
        assert (done.documents_integrated, done.documents_refused, done.documents_pending) == (0, 0, 1)
        assert wallet_of(context, person).documents[0].status is DocumentStatus.PENDING
        # Still down: the job fails and is retried later; the document is never refused.
        assert run_wallet_jobs(context) == 1
        assert wallet_of(context, person).documents[0].status is DocumentStatus.PENDING
        set_down(context, DocumentKind.DRIVING_LICENCE, down=False)
        clock.advance(dt.timedelta(minutes=10))
        assert run_wallet_jobs(context) == 1
        assert wallet_of(context, person).documents[0].status is DocumentStatus.INTEGRATED

    def test_documents_requested_after_activation_are_integrated_at_the_next_login(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        holder = activated(context, person)
        card = health_card(context, person.id_number)
        handed_over(context, person, DocumentIn(kind=HEALTH, number=card.number, extra={"issuing_unit": "19405"}))
        assert wallet_of(context, person).documents[0].status is DocumentStatus.REQUESTED
        holder.session()
        assert wallet_of(context, person).documents[0].status is DocumentStatus.INTEGRATED

    def test_a_kind_no_agency_answers_for_is_refused_with_that_reason(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        handed_over(context, person, DocumentIn(kind="tax", number="0101234567"))
        activated(context, person)
        (document,) = wallet_of(context, person).documents
        assert (document.status, document.reason) == (DocumentStatus.REFUSED, "agency_not_connected")


class TestAdding:
    def test_a_holder_adds_a_licence_by_its_number_and_class(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        holder = activated(context, person)
        record = licence(context, person.id_number, classes="A1 B")
        added = add(holder, LICENCE, record.number, **{"class": "a1"})
        assert isinstance(added, WalletDocumentSummary)
        assert (added.status, added.source) == (DocumentStatus.INTEGRATED, "holder")
        assert [d.id for d in opened(holder).documents] == [added.id]

    def test_another_persons_licence_is_refused_exactly_like_one_that_does_not_exist(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person, neighbour = make_person(), make_person("Lò Thị Hoa")
        holder = activated(context, person)
        theirs = licence(context, neighbour.id_number)
        someone_elses = add(holder, LICENCE, theirs.number, **{"class": "A1"})
        nobodys = add(holder, LICENCE, "190199999999", **{"class": "A1"})
        assert isinstance(someone_elses, DocumentNotConfirmed)
        assert isinstance(nobodys, DocumentNotConfirmed)
        assert (someone_elses.detail, someone_elses.extensions) == (nobodys.detail, nobodys.extensions)
        assert wallet_of(context, person).documents == []
        refusals = _audit_details(context, "wallet.document_refuse")
        assert refusals == [{"kind": LICENCE, "source": "holder", "reason": "not_confirmed"}] * 2

    def test_a_wrong_class_is_refused_and_nothing_is_kept(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        holder = activated(context, person)
        record = licence(context, person.id_number, classes="A1")
        assert isinstance(add(holder, LICENCE, record.number, **{"class": "B"}), DocumentNotConfirmed)
        assert wallet_of(context, person).documents == []

    def test_an_outage_gives_pending_and_the_job_integrates_it_when_the_agency_answers(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        holder = activated(context, person)
        record = vehicle(context, person.id_number)
        set_down(context, DocumentKind.VEHICLE_REGISTRATION)
        added = add(holder, "vehicle_registration", record.plate, chassis_number=record.chassis_number)
        assert isinstance(added, WalletDocumentSummary)
        assert added.status is DocumentStatus.PENDING
        set_down(context, DocumentKind.VEHICLE_REGISTRATION, down=False)
        assert run_wallet_jobs(context) == 1
        (document,) = wallet_of(context, person).documents
        assert document.status is DocumentStatus.INTEGRATED

    def test_a_document_in_the_wallet_is_a_conflict_but_a_refused_one_can_be_corrected(
        self, context: Context, make_person: MakePerson
    ) -> None:
        person = make_person()
        record = licence(context, person.id_number, classes="A1")
        handed_over(context, person, _licence_in(record.number, "B"))  # the wrong class on TK01
        holder = activated(context, person)
        assert wallet_of(context, person).documents[0].status is DocumentStatus.REFUSED
        corrected = add(holder, LICENCE, record.number, **{"class": "A1"})
        assert isinstance(corrected, WalletDocumentSummary)
        assert corrected.status is DocumentStatus.INTEGRATED
        with pytest.raises(DocumentAlreadyInWallet):
            add(holder, LICENCE, record.number, **{"class": "A1"})
        assert len(wallet_of(context, person).documents) == 1

    def test_a_kind_without_an_agency_or_malformed_fields_are_refused(
        self, context: Context, make_person: MakePerson
    ) -> None:
        holder = activated(context, make_person())
        with pytest.raises(InvalidDocument):
            add(holder, "tax", "0101234567")
        with pytest.raises(InvalidKeyFields):
            add(holder, LICENCE, "190100000001")  # no class


class TestValidity:
    @pytest.mark.parametrize(("days_left", "flagged"), [(0, True), (30, True), (31, False)])
    def test_a_licence_expiring_within_30_days_is_flagged(
        self, context: Context, make_person: MakePerson, days_left: int, flagged: bool
    ) -> None:
        person = make_person()
        holder = activated(context, person)
        today = context.clock.today()
        record = licence(context, person.id_number, classes="B", valid_until=today + dt.timedelta(days=days_left))
        add(holder, LICENCE, record.number, **{"class": "B"})
        (document,) = opened(holder).documents
        assert (document.expiring_soon, document.expired, document.revoked) == (flagged, False, False)

    def test_a_licence_revoked_since_is_marked_when_the_wallet_is_opened_a_day_later(
        self, context: Context, clock: FixedClock, make_person: MakePerson
    ) -> None:
        person = make_person()
        holder = activated(context, person)
        record = licence(context, person.id_number)
        add(holder, LICENCE, record.number, **{"class": "A1"})
        with unit_of_work(context.database.sessions) as session:
            session.get_one(SimulatedLicence, record.number).revoked = True
        assert opened(holder).documents[0].revoked is False  # checked less than a day ago
        clock.advance(dt.timedelta(hours=25))
        (document,) = opened(holder).documents
        assert (document.status, document.revoked, document.record_status) == (
            DocumentStatus.INTEGRATED,
            True,
            "revoked",
        )
        assert "wallet.document_check" in _actions(context, person.id)

    def test_a_card_past_its_date_is_marked_expired_without_asking(
        self, context: Context, clock: FixedClock, make_person: MakePerson
    ) -> None:
        person = make_person()
        holder = activated(context, person)
        card = health_card(context, person.id_number, valid_until=context.clock.today() + dt.timedelta(days=2))
        add(holder, HEALTH, card.number, issuing_unit="19405")
        clock.advance(dt.timedelta(days=3))
        (document,) = wallet_of(context, person).documents
        assert (document.expired, document.expiring_soon, document.record_status) == (True, False, "expired")


class TestOpening:
    def test_opening_a_document_needs_the_right_passcode(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        holder = activated(context, person)
        record = licence(context, person.id_number)
        added = add(holder, LICENCE, record.number, **{"class": "A1"})
        assert isinstance(added, WalletDocumentSummary)
        assert isinstance(open_document(holder, added.id, "000000"), InvalidPasscode)
        detail = open_document(holder, added.id)
        assert isinstance(detail, WalletDocumentDetail)
        assert (detail.number, detail.fields) == (record.number, {"class": "A1"})
        assert _audit_details(context, "wallet.document_open") == [
            {"document_id": added.id, "kind": LICENCE, "source": "holder"}
        ]

    def test_the_sixth_wrong_passcode_is_refused_as_locked(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        holder = activated(context, person)
        record = licence(context, person.id_number)
        added = add(holder, LICENCE, record.number, **{"class": "A1"})
        assert isinstance(added, WalletDocumentSummary)
        refusals = [open_document(holder, added.id, "000000") for _ in range(MAX_FAILED_PASSCODES)]
        assert all(isinstance(r, InvalidPasscode) for r in refusals)
        assert isinstance(open_document(holder, added.id, "000000"), PasscodeLocked)
        assert isinstance(open_document(holder, added.id, PASSCODE), PasscodeLocked)

    def test_another_holders_document_is_not_found(self, context: Context, make_person: MakePerson) -> None:
        person, neighbour = make_person(), make_person("Lò Thị Hoa")
        record = licence(context, neighbour.id_number)
        handed_over(context, neighbour, _licence_in(record.number))
        theirs = wallet_of(context, neighbour).documents[0]
        holder = activated(context, person)
        with pytest.raises(WalletDocumentNotFound):
            open_document(holder, theirs.id)


def test_integrated_counts_by_village_equal_direct_counts(
    context: Context, make_person: MakePerson, household_id: int
) -> None:
    village = registered_village(context, "Thôn Khuổi Tát", distance_km=3, signal=SignalQuality.GOOD)
    household = registered_household(context, village.id, address="Khuổi Tát")
    far = registered_person(context, household.id, "Ma Văn Sơn", dt.date(1990, 5, 1))
    near_1, near_2, waiting = make_person(), make_person("Lò Thị Hoa"), make_person("Đinh Thị Mai")
    for person, phone in ((near_1, "0912000001"), (near_2, "0912000002"), (far, "0912000003")):
        record, card = licence(context, person.id_number), health_card(context, person.id_number)
        unit = "19001" if person is near_2 else "19405"  # near_2's card is refused
        handed_over(
            context,
            person,
            _licence_in(record.number),
            DocumentIn(kind=HEALTH, number=card.number, extra={"issuing_unit": unit}),
        )
        activated(context, person, phone)
    handed_over(context, waiting, _licence_in(licence(context, waiting.id_number).number))  # not activated: not counted
    with unit_of_work(context.database.sessions) as session:
        counted = wallet.integrated_by_village(session=session, commune_codes=[COMMUNE])
        campaign = figures.documents_integrated(session=session, commune_codes=[COMMUNE])
        # The direct count: each integrated document, its holder's village read from the registry.
        direct: dict[int, int] = {}
        for person_id in session.scalars(
            select(WalletDocument.person_id).where(WalletDocument.status == DocumentStatus.INTEGRATED)
        ):
            village_id = session.get_one(Person, person_id).village_id
            direct[village_id] = direct.get(village_id, 0) + 1
        nowhere = wallet.integrated_by_village(session=session, commune_codes=["00001"])
    assert counted == direct == dict(campaign)
    assert counted == {near_1.village_id: 3, village.id: 2}
    assert nowhere == {}


def _activate(context: Context, person: PersonRead) -> Activated:
    return Phone(context, person, issue(context, person)).activate()


def _actions(context: Context, person_id: int) -> list[str]:
    with unit_of_work(context.database.sessions) as session:
        return list(
            session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.subject_type == "person", AuditEntry.subject_id == str(person_id)
                )
            )
        )
