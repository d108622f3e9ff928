"""The simulated agencies answer as the agencies' databases would: a document is confirmed only when it
exists, is this person's, and every key field matches; otherwise one answer, whichever failed."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.factories import MakePerson
from tests.factories.agencies import health_card, licence, set_down, vehicle

from civicid.agencies.adapters import NoAgencies, SimulatedAgencies
from civicid.agencies.errors import AgencyUnavailable, InvalidKeyFields
from civicid.agencies.kinds import DocumentQuery, normalise
from civicid.agencies.ports import Answer, Confirmed, NotConfirmed, RecordStatus
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.documents import DocumentKind

LICENCE = DocumentKind.DRIVING_LICENCE


def ask(context: Context, kind: DocumentKind, number: str, fields: dict[str, str], id_number: str) -> Answer:
    clean_number, clean_fields = normalise(kind, number, fields)
    with unit_of_work(context.database.sessions) as session:
        return SimulatedAgencies().confirm(
            session=session, clock=context.clock, query=DocumentQuery(kind, clean_number, clean_fields, id_number)
        )


class TestDrivingLicences:
    def test_the_holders_licence_is_confirmed_with_the_agencys_facts(
        self, context: Context, make_person: MakePerson
    ) -> None:
        holder = make_person()
        record = licence(context, holder.id_number, classes="A1 B", valid_until=dt.date(2030, 1, 1))
        answer = ask(context, LICENCE, record.number, {"class": "b"}, holder.id_number)
        assert isinstance(answer, Confirmed)
        assert (answer.status, answer.valid_until) == (RecordStatus.VALID, dt.date(2030, 1, 1))
        assert answer.facts["classes"] == ["A1", "B"]
        assert answer.facts["points"] == 12
        assert answer.agency.simulated

    def test_another_persons_licence_gets_the_same_answer_as_no_licence_at_all(
        self, context: Context, make_person: MakePerson
    ) -> None:
        owner, asker = make_person(), make_person("Lò Thị Hoa")
        record = licence(context, owner.id_number)
        someone_elses = ask(context, LICENCE, record.number, {"class": "A1"}, asker.id_number)
        nobodys = ask(context, LICENCE, "190999999999", {"class": "A1"}, asker.id_number)
        assert someone_elses == nobodys == NotConfirmed()

    def test_a_class_the_licence_does_not_carry_is_not_confirmed(
        self, context: Context, make_person: MakePerson
    ) -> None:
        holder = make_person()
        record = licence(context, holder.id_number, classes="A1")
        assert ask(context, LICENCE, record.number, {"class": "B"}, holder.id_number) == NotConfirmed()

    def test_revoked_and_expired_licences_say_so(self, context: Context, make_person: MakePerson) -> None:
        holder = make_person()
        revoked = licence(context, holder.id_number, revoked=True)
        expired = licence(context, holder.id_number, classes="B", valid_until=context.clock.today() - dt.timedelta(1))
        revoked_answer = ask(context, LICENCE, revoked.number, {"class": "A1"}, holder.id_number)
        expired_answer = ask(context, LICENCE, expired.number, {"class": "B"}, holder.id_number)
        assert isinstance(revoked_answer, Confirmed)
        assert isinstance(expired_answer, Confirmed)
        assert (revoked_answer.status, expired_answer.status) == (RecordStatus.REVOKED, RecordStatus.EXPIRED)


class TestVehiclesAndHealthInsurance:
    def test_a_vehicle_needs_its_plate_and_chassis_number(self, context: Context, make_person: MakePerson) -> None:
        holder = make_person()
        record = vehicle(context, holder.id_number)
        plate = f"{record.plate[:4]}-{record.plate[4:7]}.{record.plate[7:]}"  # as printed: 20B1-000.01
        answer = ask(
            context,
            DocumentKind.VEHICLE_REGISTRATION,
            plate,
            {"chassis_number": record.chassis_number},
            holder.id_number,
        )
        assert isinstance(answer, Confirmed)
        assert (answer.facts["make"], answer.facts["plate"]) == ("Honda", record.plate)
        wrong = ask(
            context,
            DocumentKind.VEHICLE_REGISTRATION,
            record.plate,
            {"chassis_number": "RLHJA3906PY999999"},
            holder.id_number,
        )
        assert wrong == NotConfirmed()

    def test_a_health_card_needs_its_number_and_issuing_unit(self, context: Context, make_person: MakePerson) -> None:
        holder = make_person()
        record = health_card(context, holder.id_number)
        answer = ask(context, DocumentKind.HEALTH_INSURANCE, record.number, {"issuing_unit": "19405"}, holder.id_number)
        assert isinstance(answer, Confirmed)
        assert answer.facts["insurer_unit"] == "Bảo hiểm xã hội cơ sở Võ Nhai"
        assert answer.valid_until == record.valid_until
        other_unit = ask(
            context, DocumentKind.HEALTH_INSURANCE, record.number, {"issuing_unit": "19001"}, holder.id_number
        )
        assert other_unit == NotConfirmed()


class TestOutages:
    def test_an_agency_told_it_is_down_answers_nothing_until_it_is_up(
        self, context: Context, make_person: MakePerson
    ) -> None:
        holder = make_person()
        record = licence(context, holder.id_number)
        set_down(context, LICENCE)
        with pytest.raises(AgencyUnavailable):
            ask(context, LICENCE, record.number, {"class": "A1"}, holder.id_number)
        # The other agencies still answer.
        card = health_card(context, holder.id_number)
        assert isinstance(
            ask(context, DocumentKind.HEALTH_INSURANCE, card.number, {"issuing_unit": "19405"}, holder.id_number),
            Confirmed,
        )
        set_down(context, LICENCE, down=False)
        assert isinstance(ask(context, LICENCE, record.number, {"class": "A1"}, holder.id_number), Confirmed)


class TestKeyFields:
    def test_separators_and_case_do_not_matter(self) -> None:
        assert normalise(DocumentKind.VEHICLE_REGISTRATION, " 20b1-123.45 ", {"chassis_number": "rlhja 3906"}) == (
            "20B112345",
            {"chassis_number": "RLHJA3906"},
        )

    @pytest.mark.parametrize(
        ("kind", "number", "fields", "field"),
        [
            (LICENCE, "1901234567", {"class": "A1"}, "number"),
            (LICENCE, "190123456789", {}, "fields.class"),
            (LICENCE, "190123456789", {"class": "Z9"}, "fields.class"),
            (LICENCE, "190123456789", {"class": "A1", "colour": "red"}, "fields"),
            (DocumentKind.HEALTH_INSURANCE, "GD4191234567", {"issuing_unit": "19405"}, "number"),
            (DocumentKind.TAX, "0101234567", {}, "kind"),
        ],
    )
    def test_a_missing_or_malformed_key_field_is_refused_without_its_value(
        self, kind: DocumentKind, number: str, fields: dict[str, str], field: str
    ) -> None:
        with pytest.raises(InvalidKeyFields) as refused:
            normalise(kind, number, fields)
        assert refused.value.extensions["field"] == field
        assert number not in refused.value.detail


def test_a_deployment_without_agencies_offers_nothing(context: Context) -> None:
    nothing = NoAgencies()
    assert nothing.agencies() == {}
    with unit_of_work(context.database.sessions) as session:
        query = DocumentQuery(LICENCE, "190123456789", {"class": "A1"}, "019080000001")
        assert nothing.confirm(session=session, clock=context.clock, query=query) == NotConfirmed(
            "agency_not_connected"
        )
