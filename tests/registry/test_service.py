"""The registry's rules, checked through its service functions on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.factories import OFFICER, MakePerson, person_in

from civicid.core import audit
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.errors import InvalidIdNumber
from civicid.country.sex import Sex
from civicid.registry import service
from civicid.registry.errors import DuplicateIdNumber, InvalidGuardian, PersonNotFound
from civicid.registry.schemas import IdCardIn, PersonUpdate, SearchPage


class TestCreatePerson:
    def test_id_number_must_agree_with_sex(self, context: Context, household_id: int) -> None:
        wrong = person_in(household_id, "Lò Thị Mai", dt.date(1990, 5, 1), Sex.FEMALE).model_copy(
            update={"sex": Sex.MALE}
        )
        with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidIdNumber) as caught:
            service.create_person(session=session, clock=context.clock, actor=OFFICER, person_in=wrong)
        assert caught.value.extensions["fault"] == "century_sex_mismatch"

    def test_id_number_is_unique(self, context: Context, household_id: int, make_person: MakePerson) -> None:
        first = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        again = person_in(household_id, "Nguyễn Văn Bình", dt.date(1995, 3, 12)).model_copy(
            update={"id_number": first.id_number}
        )
        with unit_of_work(context.database.sessions) as session, pytest.raises(DuplicateIdNumber):
            service.create_person(session=session, clock=context.clock, actor=OFFICER, person_in=again)

    def test_creation_is_audited_without_personal_data(self, context: Context, make_person: MakePerson) -> None:
        person = make_person("Nguyễn Văn An", dt.date(1995, 3, 12), phone="0912345678")
        with unit_of_work(context.database.sessions) as session:
            entries = audit.entries_for_subject(session=session, subject_type="person", subject_id=str(person.id))
        assert [e.action for e in entries] == ["person.create"]
        assert "Nguyễn" not in str(entries[0].details)
        assert "0912345678" not in str(entries[0].details)

    def test_phone_number_is_normalised(self, make_person: MakePerson) -> None:
        person = make_person("Hà Văn Tâm", dt.date(1980, 1, 1), phone="+84 912 345 678")
        assert person.phone == "0912345678"


class TestSearch:
    def test_name_typed_without_diacritics_finds_the_person(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        make_person("Trần Thị Bình", dt.date(1996, 4, 2), Sex.FEMALE)
        with unit_of_work(context.database.sessions) as session:
            found = service.search_persons(session=session, clock=context.clock, actor=OFFICER, query="nguyen van an")
        assert [p.id for p in found] == [an.id]

    def test_name_search_is_a_prefix_search(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        anh = make_person("Nguyễn Văn Anh", dt.date(1994, 3, 12))
        make_person("Đỗ Văn An", dt.date(1993, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            found = service.search_persons(session=session, clock=context.clock, actor=OFFICER, query="NGUYEN VAN")
        assert {p.id for p in found} == {an.id, anh.id}

    def test_d_with_stroke_folds_to_d(self, context: Context, make_person: MakePerson) -> None:
        do = make_person("Đỗ Văn An", dt.date(1993, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            found = service.search_persons(session=session, clock=context.clock, actor=OFFICER, query="do van")
        assert [p.id for p in found] == [do.id]

    def test_by_id_number(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            found = service.search_persons(session=session, clock=context.clock, actor=OFFICER, id_number=an.id_number)
        assert [p.full_name for p in found] == ["Nguyễn Văn An"]

    def test_by_village(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            found = service.search_persons(
                session=session, clock=context.clock, actor=OFFICER, village_id=an.village_id
            )
        assert [p.id for p in found] == [an.id]

    def test_search_is_audited_with_the_ids_it_returned(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            service.search_persons(session=session, clock=context.clock, actor=OFFICER, query="nguyen")
            entries = audit.entries_for_subject(session=session, subject_type="person_search", subject_id="-")
        assert entries[-1].details == {"by": "name", "village_id": None, "results": [an.id]}
        assert "nguyen" not in str(entries[-1].details)


class TestSearchByAnyWord:
    """Given names are how people are found in a village: any word of the name, in any order (decision 0071)."""

    def _search(self, context: Context, query: str, **kwargs: Any) -> SearchPage:
        with unit_of_work(context.database.sessions) as session:
            return service.search_page(session=session, clock=context.clock, actor=OFFICER, query=query, **kwargs)

    def test_a_given_name_alone_finds_the_person(self, context: Context, make_person: MakePerson) -> None:
        thang = make_person("Lò Văn Thắng", dt.date(1990, 1, 1))
        make_person("Lò Văn Thanh", dt.date(1991, 1, 1))
        assert [p.id for p in self._search(context, "thang").persons] == [thang.id]

    def test_middle_and_given_name_find_the_person(self, context: Context, make_person: MakePerson) -> None:
        thang = make_person("Nguyễn Văn Thắng", dt.date(1990, 1, 1))
        make_person("Nguyễn Thị Thắng", dt.date(1991, 1, 1), Sex.FEMALE)
        assert [p.id for p in self._search(context, "van thang").persons] == [thang.id]

    def test_words_may_come_in_any_order(self, context: Context, make_person: MakePerson) -> None:
        thang = make_person("Nguyễn Văn Thắng", dt.date(1990, 1, 1))
        assert [p.id for p in self._search(context, "thang nguyen").persons] == [thang.id]

    def test_d_with_stroke_folds_inside_a_name(self, context: Context, make_person: MakePerson) -> None:
        dung = make_person("Đặng Văn Dũng", dt.date(1990, 1, 1))
        dao = make_person("Lê Thị Đào", dt.date(1992, 1, 1), Sex.FEMALE)
        assert [p.id for p in self._search(context, "dung").persons] == [dung.id]
        assert [p.id for p in self._search(context, "ĐÀO").persons] == [dao.id]

    def test_whole_names_starting_with_the_text_come_first(self, context: Context, make_person: MakePerson) -> None:
        given = make_person("Hà Văn Lương", dt.date(1990, 1, 1))
        surname = make_person("Lương Văn Hà", dt.date(1991, 1, 1))
        assert [p.id for p in self._search(context, "luong").persons] == [surname.id, given.id]

    def test_an_exact_word_comes_before_a_longer_one(self, context: Context, make_person: MakePerson) -> None:
        thanh = make_person("Bùi Văn Thanh", dt.date(1990, 1, 1))
        than = make_person("Vi Văn Than", dt.date(1991, 1, 1))
        assert [p.id for p in self._search(context, "than").persons] == [than.id, thanh.id]

    def test_pages_follow_one_another_without_overlap(self, context: Context, make_person: MakePerson) -> None:
        names = ["Thắng Văn A", "Thắng Văn B", "Lò Văn Thắng", "Vi Văn Thắng", "Hà Thắng"]
        made = {make_person(n, dt.date(1980 + i, 1, 1)).id for i, n in enumerate(names)}
        first = self._search(context, "thang", limit=2)
        second = self._search(context, "thang", limit=2, offset=2)
        third = self._search(context, "thang", limit=2, offset=4)
        seen = [p.id for page in (first, second, third) for p in page.persons]
        assert sorted(seen) == sorted(made)
        assert (first.more, second.more, third.more) == (True, True, False)

    def test_a_renamed_person_is_found_by_the_new_name_only(self, context: Context, make_person: MakePerson) -> None:
        person = make_person("Lò Văn Thắng", dt.date(1990, 1, 1))
        with unit_of_work(context.database.sessions) as session:
            service.update_person(
                session=session,
                clock=context.clock,
                actor=OFFICER,
                person_id=person.id,
                changes=PersonUpdate(full_name="Lò Văn Chiến"),
            )
        assert self._search(context, "thang").persons == []
        assert [p.id for p in self._search(context, "chien").persons] == [person.id]


class TestReadAndUpdate:
    def test_every_read_is_audited(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            service.get_person(session=session, clock=context.clock, actor=OFFICER, person_id=an.id)
            entries = audit.entries_for_subject(session=session, subject_type="person", subject_id=str(an.id))
        assert [e.action for e in entries] == ["person.create", "person.read"]
        assert entries[-1].actor == "staff:officer.test"

    def test_unknown_person_is_not_found(self, context: Context, household_id: int) -> None:
        with unit_of_work(context.database.sessions) as session, pytest.raises(PersonNotFound):
            service.get_person(session=session, clock=context.clock, actor=OFFICER, person_id=999_999)

    def test_update_records_the_changed_field_names(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyen Van An", dt.date(1995, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            updated = service.update_person(
                session=session,
                clock=context.clock,
                actor=OFFICER,
                person_id=an.id,
                changes=PersonUpdate(full_name="Nguyễn Văn An", has_smartphone=True),
            )
            entries = audit.entries_for_subject(session=session, subject_type="person", subject_id=str(an.id))
        assert updated.full_name == "Nguyễn Văn An"
        assert entries[-1].details == {"fields": ["full_name", "has_smartphone"]}

    def test_age_group_follows_the_clock(self, context: Context, make_person: MakePerson) -> None:
        child = make_person("Giàng A Páo", dt.date(2021, 1, 1))
        assert child.age_group == "under_6"


class TestCardsAndGuardians:
    def test_a_new_card_expires_the_previous_one(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            for year in (2015, 2021):
                service.issue_id_card(
                    session=session,
                    clock=context.clock,
                    actor=OFFICER,
                    person_id=an.id,
                    card_in=IdCardIn(issue_date=dt.date(year, 6, 1), expiry_date=dt.date(2035, 3, 12)),
                )
            cards = service.list_id_cards(session=session, clock=context.clock, actor=OFFICER, person_id=an.id)
        assert [c.status for c in cards] == ["expired", "valid"]
        assert all(c.number == an.id_number for c in cards)

    def test_guardian_link_is_idempotent(self, context: Context, make_person: MakePerson) -> None:
        mother = make_person("Lò Thị Mai", dt.date(1990, 5, 1), Sex.FEMALE)
        child = make_person("Lò Văn Páo", dt.date(2022, 8, 9))
        with unit_of_work(context.database.sessions) as session:
            for _ in range(2):
                service.link_guardian(
                    session=session,
                    clock=context.clock,
                    actor=OFFICER,
                    child_id=child.id,
                    guardian_id=mother.id,
                    relationship="mother",
                )
            assert service.guardians_of(session=session, child_id=child.id) == [mother.id]

    def test_nobody_is_their_own_guardian(self, context: Context, make_person: MakePerson) -> None:
        mother = make_person("Lò Thị Mai", dt.date(1990, 5, 1), Sex.FEMALE)
        with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidGuardian):
            service.link_guardian(
                session=session,
                clock=context.clock,
                actor=OFFICER,
                child_id=mother.id,
                guardian_id=mother.id,
                relationship="self",
            )


class TestStats:
    def test_age_groups_are_counted_on_the_reference_date(self, context: Context, make_person: MakePerson) -> None:
        today = context.clock.today()
        make_person("Giàng A Páo", today.replace(year=today.year - 6))  # sixth birthday today: 6 to 13
        make_person("Giàng A Chư", today.replace(year=today.year - 6) + dt.timedelta(days=1))  # still 5
        make_person("Giàng Thị Dua", today.replace(year=today.year - 14), Sex.FEMALE)  # fourteen today
        with unit_of_work(context.database.sessions) as session:
            stats = service.registry_stats(session=session, reference_date=today)
        assert stats.persons_by_age_group == {"under_6": 1, "6_to_13": 1, "14_plus": 1}
        assert (stats.villages, stats.households, stats.persons) == (1, 1, 3)


class TestAuditChain:
    def test_chain_is_intact_after_changes_and_reads(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            service.get_person(session=session, clock=context.clock, actor=OFFICER, person_id=an.id)
        with unit_of_work(context.database.sessions) as session:
            report = audit.verify_chain(session=session)
        assert report.intact
        assert report.entries == 2

    def test_an_edited_entry_breaks_the_chain_there(self, context: Context, make_person: MakePerson) -> None:
        an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
        with unit_of_work(context.database.sessions) as session:
            service.get_person(session=session, clock=context.clock, actor=OFFICER, person_id=an.id)
            service.get_person(session=session, clock=context.clock, actor=OFFICER, person_id=an.id)
        with unit_of_work(context.database.sessions) as session:
            second = audit.entries_for_subject(session=session, subject_type="person", subject_id=str(an.id))[1]
            second.actor = "staff:someone.else"
        with unit_of_work(context.database.sessions) as session:
            report = audit.verify_chain(session=session)
        assert not report.intact
        assert report.first_broken_seq == second.seq
