"""Children: a level-2 parent adds a child under 14 as a level-1 account under the parent's phone; the
registry's guardian link decides who may; at 14 the account must move, and the app says so ahead."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.factories import (
    MakePerson,
    Phone,
    activated_phone,
    add_child,
    audit_actions,
    issued_account,
    link_guardian,
)

from civicid.accounts import children
from civicid.accounts.errors import ChildRefused
from civicid.accounts.models import AccountStatus, EidAccount
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.age import birthday
from civicid.country.sex import Sex
from civicid.registry.schemas import PersonRead


@pytest.fixture
def parent(context: Context, make_person: MakePerson) -> Phone:
    return activated_phone(context, make_person("Lò Thị Mai", dt.date(1990, 4, 2), Sex.FEMALE))


@pytest.fixture
def child(context: Context, make_person: MakePerson, parent: Phone) -> PersonRead:
    born = dt.date(2022, 6, 1)
    kid = make_person("Lò Văn An", born, Sex.MALE)
    link_guardian(context, kid, parent.person.id)
    return kid


def _reason(outcome: object) -> str:
    assert isinstance(outcome, ChildRefused), outcome
    return str(outcome.extensions["reason"])


def test_a_level_2_parent_adds_a_child_as_an_active_level_1_account_without_a_phone(
    context: Context, parent: Phone, child: PersonRead
) -> None:
    added = add_child(context, parent.account.id, child)
    assert isinstance(added, children.ChildAccount), added
    with unit_of_work(context.database.sessions) as session:
        account = session.get(EidAccount, added.account_id)
        assert account is not None
        assert (account.level, account.status, account.phone) == (1, AccountStatus.ACTIVE, None)
        listed = children.children_of(session=session, clock=context.clock, guardian_account_id=parent.account.id)
    assert [c.full_name for c in listed] == ["Lò Văn An"]
    assert listed[0].card_by_request  # under 6: the card is requested from the app


def test_adding_the_same_child_twice_gives_the_same_account(context: Context, parent: Phone, child: PersonRead) -> None:
    first = add_child(context, parent.account.id, child)
    second = add_child(context, parent.account.id, child)
    assert isinstance(first, children.ChildAccount)
    assert isinstance(second, children.ChildAccount)
    assert first.account_id == second.account_id


def test_a_level_1_parent_may_not_add_a_child(context: Context, make_person: MakePerson) -> None:
    mother = make_person("Hà Thị Lan", dt.date(1991, 1, 9), Sex.FEMALE)
    kid = make_person("Hà Văn Bình", dt.date(2021, 3, 3), Sex.MALE)
    link_guardian(context, kid, mother.id)
    level_1 = issued_account(context, mother, level=1)
    assert _reason(add_child(context, level_1.id, kid)) == "guardian_level"
    assert audit_actions(context, "account.child_refuse")[0]["reason"] == "guardian_level"


def test_someone_who_is_not_the_childs_guardian_may_not_add_the_child(
    context: Context, make_person: MakePerson, child: PersonRead
) -> None:
    neighbour = activated_phone(context, make_person("Vi Văn Tùng", dt.date(1985, 8, 8)), phone="0977111222")
    assert _reason(add_child(context, neighbour.account.id, child)) == "not_guardian"
    assert [e["reason"] for e in audit_actions(context, "account.child_refuse")] == ["not_guardian"]


def test_a_child_of_14_is_no_longer_added_under_a_parent(
    context: Context, make_person: MakePerson, parent: Phone
) -> None:
    teen = make_person("Lò Văn Hùng", dt.date(2010, 1, 1), Sex.MALE)
    link_guardian(context, teen, parent.person.id)
    assert _reason(add_child(context, parent.account.id, teen)) == "too_old"


def test_the_app_says_ahead_of_time_that_the_account_must_move_at_14(
    context: Context, make_person: MakePerson, parent: Phone, clock: FixedClock
) -> None:
    today = clock.today()
    born = dt.date(today.year - 14, today.month, 1) + dt.timedelta(days=60)
    if birthday(born, 14) <= today:
        born = born.replace(year=born.year + 1)
    nearly = make_person("Lò Thị Hoa", born, Sex.FEMALE)
    link_guardian(context, nearly, parent.person.id)
    added = add_child(context, parent.account.id, nearly)
    assert isinstance(added, children.ChildAccount), added
    assert added.move_soon
    assert not added.must_move
    clock.advance(dt.timedelta(days=400))
    with unit_of_work(context.database.sessions) as session:
        later = children.children_of(session=session, clock=context.clock, guardian_account_id=parent.account.id)
    assert later[0].must_move


def test_a_level_2_issue_brings_a_childs_account_to_the_childs_own_phone(
    context: Context, make_person: MakePerson, parent: Phone, clock: FixedClock
) -> None:
    """At 14 (or from 6 on request) the child enrolls at level 2 in person with their own phone: the same
    account leaves the parent's, waits for activation on that phone, and activates like any other."""
    today = clock.today()
    teen = make_person("Lò Thị Hoa", dt.date(today.year - 13, 2, 1), Sex.FEMALE)
    link_guardian(context, teen, parent.person.id)
    added = add_child(context, parent.account.id, teen)
    assert isinstance(added, children.ChildAccount), added
    issued = issued_account(context, teen, level=2, phone="0977333444")
    assert (issued.id, issued.level, issued.status, issued.phone) == (
        added.account_id,
        2,
        AccountStatus.PENDING_ACTIVATION,
        "0977333444",
    )
    with unit_of_work(context.database.sessions) as session:
        assert children.children_of(session=session, clock=context.clock, guardian_account_id=parent.account.id) == []
    released = audit_actions(context, "account.guardian_release")
    assert [e["guardian_account_id"] for e in released] == [parent.account.id]
    Phone(context, teen, issued, phone="0977333444").activate()
    with unit_of_work(context.database.sessions) as session:
        account = session.get(EidAccount, added.account_id)
        assert account is not None
        assert (account.level, account.status, account.phone) == (2, AccountStatus.ACTIVE, "0977333444")
