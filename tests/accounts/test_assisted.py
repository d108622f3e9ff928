"""Assisted activation, face to face at the commune office: identity checked against the portrait, consent
recorded, the code to a phone the citizen names or on the operator's screen; a relative's phone serves at
most a documented number of accounts; every step and refusal audited."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.factories import (
    OFFICER,
    MakePerson,
    assisted_activated,
    audit_actions,
    confirm_assisted,
    start_assisted,
)

from civicid.accounts import assisted
from civicid.accounts.errors import AssistedRefused
from civicid.accounts.models import AccountStatus, AssistedActivation, AssistedDelivery, EidAccount
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.notify import service as notify
from civicid.registry.schemas import PersonRead


@pytest.fixture
def elder(make_person: MakePerson) -> PersonRead:
    return make_person("Hoàng Thị Dung", dt.date(1948, 2, 11), Sex.FEMALE)


def _reason(outcome: object) -> str:
    assert isinstance(outcome, AssistedRefused), outcome
    return str(outcome.extensions["reason"])


def test_an_elder_is_activated_with_a_relatives_phone_and_the_consent_is_recorded(
    context: Context, elder: PersonRead
) -> None:
    started = start_assisted(context, elder, contact_phone="0987000111", relation="grandchild")
    assert isinstance(started, assisted.AssistedStarted), started
    assert started.code_on_screen is None  # it went by SMS
    assert started.phone_masked == "*******111"
    with unit_of_work(context.database.sessions) as session:
        sms = notify.notifications_for(
            session=session, related_type="assisted_activation", related_id=started.activation_id
        )
    code = sms[0].text.split("là ")[1][:6]
    assert confirm_assisted(context, started.activation_id, code) == started.account_id
    with unit_of_work(context.database.sessions) as session:
        account = session.get(EidAccount, started.account_id)
        record = session.get(AssistedActivation, started.activation_id)
        assert account is not None
        assert record is not None
        assert (account.status, account.phone) == (AccountStatus.ACTIVE, None)
        assert (record.operator, record.contact_phone, record.contact_relation) == (
            OFFICER.name,
            "0987000111",
            "grandchild",
        )
        assert record.confirmed_at is not None
    assert [d["delivery"] for d in audit_actions(context, "account.assisted_start")] == ["sms"]
    assert len(audit_actions(context, "account.assisted_activate")) == 1


def test_the_code_can_be_shown_on_the_operators_screen_and_is_single_use(context: Context, elder: PersonRead) -> None:
    started = start_assisted(context, elder, contact_phone=None, relation="self", delivery=AssistedDelivery.SCREEN)
    assert isinstance(started, assisted.AssistedStarted), started
    assert started.code_on_screen is not None
    assert isinstance(confirm_assisted(context, started.activation_id, started.code_on_screen), str)
    assert _reason(confirm_assisted(context, started.activation_id, started.code_on_screen)) == "invalid_code"


def test_without_consent_or_an_identity_check_nothing_starts(context: Context, elder: PersonRead) -> None:
    assert _reason(start_assisted(context, elder, consent=False)) == "no_consent"
    assert _reason(start_assisted(context, elder, identity_checked=False)) == "identity_not_checked"
    assert [e["reason"] for e in audit_actions(context, "account.assisted_refuse")] == [
        "no_consent",
        "identity_not_checked",
    ]


def test_a_wrong_code_counts_and_five_kill_it(context: Context, elder: PersonRead) -> None:
    started = start_assisted(context, elder, delivery=AssistedDelivery.SCREEN)
    assert isinstance(started, assisted.AssistedStarted)
    wrong = "000000" if started.code_on_screen != "000000" else "111111"
    for _ in range(assisted.MAX_ATTEMPTS):
        assert _reason(confirm_assisted(context, started.activation_id, wrong)) == "invalid_code"
    assert _reason(confirm_assisted(context, started.activation_id, started.code_on_screen or "")) == "invalid_code"


def test_a_relatives_phone_serves_several_elders_up_to_the_limit_each_account_separate(
    context: Context, make_person: MakePerson
) -> None:
    elders = [
        make_person(f"Cụ {i}", dt.date(1940 + i, 1, 1), Sex.FEMALE)
        for i in range(assisted.MAX_ACCOUNTS_PER_CONTACT_PHONE + 1)
    ]
    accounts = {assisted_activated(context, e, contact_phone="0987000111") for e in elders[:-1]}
    assert len(accounts) == assisted.MAX_ACCOUNTS_PER_CONTACT_PHONE
    assert _reason(start_assisted(context, elders[-1], contact_phone="0987000111")) == "phone_limit"
    assert audit_actions(context, "account.assisted_refuse")[-1]["reason"] == "phone_limit"


def test_an_operator_of_another_commune_does_not_find_the_person(context: Context, elder: PersonRead) -> None:
    assert _reason(start_assisted(context, elder, commune_code="99999")) == "out_of_scope"


def test_an_active_account_is_not_activated_again(context: Context, elder: PersonRead) -> None:
    assisted_activated(context, elder)
    assert _reason(start_assisted(context, elder)) == "already_active"


def test_a_child_is_not_activated_at_the_office_but_added_by_a_parent(
    context: Context, make_person: MakePerson
) -> None:
    child = make_person("Lò Văn An", dt.date(2020, 6, 1))
    assert _reason(start_assisted(context, child)) == "too_young"
