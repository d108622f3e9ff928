"""The campaign counts everyone's way in, by village: children's accounts, assisted activations, and the
people still without any path (14 and over, present, no smartphone, no account)."""

from __future__ import annotations

import datetime as dt

from tests.factories import (
    COMMUNE,
    MakePerson,
    activated_phone,
    add_child,
    assisted_activated,
    issued_account,
    link_guardian,
)

from civicid.accounts import reach
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.sex import Sex


def _counts(context: Context) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    with unit_of_work(context.database.sessions) as session:
        return (
            reach.children_by_village(session, [COMMUNE]),
            reach.assisted_by_village(session, [COMMUNE]),
            reach.without_path_by_village(session, [COMMUNE], context.clock.today()),
        )


def test_each_way_in_is_counted_in_the_persons_village(context: Context, make_person: MakePerson) -> None:
    elder = make_person("Cụ Hoàng Thị Dung", dt.date(1946, 5, 5), Sex.FEMALE)
    other_elder = make_person("Cụ Lò Văn Pản", dt.date(1944, 7, 7), Sex.MALE)
    with_phone = make_person("Lò Văn Chiến", dt.date(1990, 5, 17), has_smartphone=True)
    parent = activated_phone(context, make_person("Lò Thị Mai", dt.date(1990, 4, 2), Sex.FEMALE), phone="0912000111")
    child = make_person("Lò Văn An", dt.date(2022, 6, 1))
    link_guardian(context, child, parent.person.id)
    village = elder.village_id
    children, assisted, without = _counts(context)
    assert (children, assisted) == ({}, {})
    # Both elders lack a path; the smartphone owner and the parent do not count.
    assert without == {village: 2}
    add_child(context, parent.account.id, child)
    assisted_activated(context, elder)
    issued_account(context, other_elder, phone=None)  # issued: a path (the team activates it)
    children, assisted, without = _counts(context)
    assert children == {village: 1}
    assert assisted == {village: 1}
    assert without == {}
    assert with_phone.village_id == village
