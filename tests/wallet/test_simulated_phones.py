"""The simulated campaign's phones activate through the real functions: smartphones only, wallets confirmed."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.factories import demo_commune

from civicid.accounts.models import AccountDevice, AccountStatus, EidAccount
from civicid.campaign.figures import documents_integrated
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.registry.models import Person
from civicid.sim.campaign import simulate_campaign
from civicid.wallet.models import DocumentStatus, WalletDocument


def test_people_with_a_smartphone_activate_and_their_documents_are_integrated(context: Context) -> None:
    code = demo_commune(context, people=1_900)
    run = simulate_campaign(context=context, commune_code=code, days=3, per_team_day=2)
    with unit_of_work(context.database.sessions) as session:
        active = session.execute(
            select(EidAccount.id, Person.has_smartphone, EidAccount.activated_at)
            .join(Person, Person.id == EidAccount.person_id)
            .where(EidAccount.status == AccountStatus.ACTIVE)
        ).all()
        devices = session.scalar(select(func.count()).select_from(AccountDevice))
        integrated = session.scalar(
            select(func.count()).select_from(WalletDocument).where(WalletDocument.status == DocumentStatus.INTEGRATED)
        )
        by_village = documents_integrated(session=session, commune_codes=[code])
    assert run.activated == len(active) > 0
    assert all(smartphone for _, smartphone, _ in active)  # people without a smartphone never activate
    assert all(activated_at is not None for _, _, activated_at in active)
    assert devices == len(active)
    assert integrated is not None
    assert integrated > 0
    assert sum(by_village.values()) == integrated
