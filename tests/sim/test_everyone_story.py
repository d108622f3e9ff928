"""The demo's "everyone gets an account" story: a parent with a child's account, the child's card issued,
an elder activated at the office with a relative's phone — through the real services."""

from __future__ import annotations

from sqlalchemy import select
from tests.factories import small_commune

from civicid.accounts.models import AccountStatus, AssistedActivation, EidAccount, GuardedAccount
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.sim.everyone import RELATIVE_PHONE, everyone_story


def test_the_story_leaves_a_childs_account_a_childs_card_issued_and_an_elder_activated(context: Context) -> None:
    story = everyone_story(context, small_commune(context, people=300))
    assert story is not None
    assert story.child_card == "issued"
    with unit_of_work(context.database.sessions) as session:
        child = session.scalars(select(GuardedAccount)).one()
        elder = session.scalars(select(AssistedActivation)).one()
        elder_account = session.get(EidAccount, elder.account_id)
        assert elder_account is not None
        assert elder_account.status is AccountStatus.ACTIVE
        assert elder.contact_phone == RELATIVE_PHONE
        assert child.guardian_account_id != child.account_id
