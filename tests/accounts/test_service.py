"""Issuing e-ID accounts: once per person, upgraded to a higher level, one phone number per account."""

from __future__ import annotations

import json

import pytest
from tests.factories import OFFICER, MakePerson, issued_account

from civicid.accounts import service
from civicid.accounts.errors import AccountNotFound, InvalidAccountInput, PhoneNumberTaken
from civicid.accounts.models import AccountStatus
from civicid.core import audit
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry.errors import PersonNotFound
from civicid.registry.schemas import PersonRead


def account_entries(context: Context, person: PersonRead) -> list[audit.AuditEntry]:
    with unit_of_work(context.database.sessions) as session:
        entries = audit.entries_for_subject(session=session, subject_type="person", subject_id=str(person.id))
        return [e for e in entries if e.action.startswith("account.")]


class TestIssueAccount:
    def test_issued_pending_activation(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        account = issued_account(context, person)
        assert account.person_id == person.id
        assert account.id_number == person.id_number
        assert account.phone == "0912345678"
        assert account.level == 2
        assert account.status is AccountStatus.PENDING_ACTIVATION
        assert account.issued_at == context.clock.now()
        assert account.activated_at is None
        assert account.issued_from == "application:A1"

    def test_idempotent_per_person(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        first = issued_account(context, person)
        assert issued_account(context, person) == first
        assert issued_account(context, person, level=1, phone=None, source="other") == first
        assert len(account_entries(context, person)) == 1

    def test_higher_level_upgrades(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        first = issued_account(context, person, level=1, phone="0912345678", source="self-service")
        upgraded = issued_account(context, person, level=2, phone="0987654321", source="application:A2")
        assert upgraded.id == first.id
        assert upgraded.level == 2
        assert upgraded.phone == "0987654321"
        assert upgraded.issued_from == "application:A2"
        [_, entry] = account_entries(context, person)
        assert entry.action == "account.upgrade"
        assert entry.details == {
            "account_id": first.id,
            "from_level": 1,
            "level": 2,
            "source": "application:A2",
            "fields": ["issued_from", "level", "phone"],
        }

    def test_phone_taken(self, context: Context, make_person: MakePerson) -> None:
        issued_account(context, make_person("Hoàng Văn Sử"))
        other = make_person("Lò Thị Mai")
        with pytest.raises(PhoneNumberTaken) as raised:
            issued_account(context, other, phone="+84912345678")
        assert raised.value.status == 409
        with unit_of_work(context.database.sessions) as session:
            assert service.find_account_by_person(session=session, person_id=other.id) is None

    def test_upgrade_to_a_taken_phone(self, context: Context, make_person: MakePerson) -> None:
        issued_account(context, make_person("Hoàng Văn Sử"))
        other = make_person("Lò Thị Mai")
        issued_account(context, other, level=1, phone="0987654321")
        with pytest.raises(PhoneNumberTaken):
            issued_account(context, other, level=2, phone="0912345678")

    def test_accounts_without_phone_do_not_collide(self, context: Context, make_person: MakePerson) -> None:
        issued_account(context, make_person("Hoàng Văn Sử"), level=1, phone=None)
        assert issued_account(context, make_person("Lò Thị Mai"), level=1, phone=None).phone is None

    def test_audit_entry_without_personal_data(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        account = issued_account(context, person)
        [entry] = account_entries(context, person)
        assert entry.action == "account.issue"
        assert entry.actor == str(OFFICER)
        assert entry.details == {"account_id": account.id, "level": 2, "source": "application:A1"}
        written = json.dumps(entry.details, ensure_ascii=False)
        for personal in (person.id_number, "0912345678", person.full_name):
            assert personal not in written

    def test_unknown_person(self, context: Context, make_person: MakePerson) -> None:
        person = make_person()
        ghost = person.model_copy(update={"id": person.id + 1000})
        with pytest.raises(PersonNotFound):
            issued_account(context, ghost)

    @pytest.mark.parametrize(
        ("level", "phone", "source"), [(3, None, "x"), (0, None, "x"), (2, "12345", "x"), (2, None, "")]
    )
    def test_invalid_input(
        self, context: Context, make_person: MakePerson, level: int, phone: str | None, source: str
    ) -> None:
        with pytest.raises(InvalidAccountInput):
            issued_account(context, make_person(), level=level, phone=phone, source=source)


def test_get_account_by_person(context: Context, make_person: MakePerson) -> None:
    person = make_person()
    with unit_of_work(context.database.sessions) as session, pytest.raises(AccountNotFound):
        service.get_account_by_person(session=session, person_id=person.id)
    account = issued_account(context, person)
    with unit_of_work(context.database.sessions) as session:
        assert service.get_account_by_person(session=session, person_id=person.id) == account


def test_account_counts(context: Context, make_person: MakePerson) -> None:
    with unit_of_work(context.database.sessions) as session:
        assert service.account_counts(session=session) == {"issued": {1: 0, 2: 0}, "active": {1: 0, 2: 0}}
    issued_account(context, make_person("Hoàng Văn Sử"), level=1, phone=None)
    issued_account(context, make_person("Lò Thị Mai"), level=2, phone="0912345678")
    issued_account(context, make_person("Hà Văn Tú"), level=2, phone="0987654321")
    with unit_of_work(context.database.sessions) as session:
        assert service.account_counts(session=session) == {"issued": {1: 1, 2: 2}, "active": {1: 0, 2: 0}}
