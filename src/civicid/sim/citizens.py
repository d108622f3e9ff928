"""The demo's citizens at every stage of an account's life, and the two a visitor can use.

After the simulated campaign days: a few holders have locked their account (one lost a phone, one
asked at the police on form TK03); one account issued to a smartphone owner still waits for
activation, so that a visitor can activate it in the app with the code the demo's SMS page shows;
and the first holder the simulation activated has secrets the demo prints (``phones.DemoCitizen``).
"""

from __future__ import annotations

from dataclasses import dataclass

from civicid.accounts import locks
from civicid.accounts.queries import accounts_of_commune
from civicid.accounts.statuses import AccountStatus, LockGround
from civicid.core.audit import Actor
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context

OFFICER = Actor("staff", "operator")


@dataclass(frozen=True)
class WaitingAccount:
    """An account issued to a smartphone owner and not activated yet: the visitor activates it."""

    id_number: str
    phone: str


def lock_some(context: Context, commune_code: str, *, skip: str | None) -> int:
    """Two activated holders lock their accounts: a lost phone (their own ground) and form TK03 (an officer's)."""
    with unit_of_work(context.database.sessions) as session:
        active = accounts_of_commune(session, commune_code, AccountStatus.ACTIVE, except_id_number=skip or "", limit=2)
        grounds = ((LockGround.HOLDER, "lost_phone"), (LockGround.TK03, "TK03 số 3/2026"))
        for account, (ground, reason) in zip(active, grounds, strict=False):
            actor = Actor("holder", account.id) if ground is LockGround.HOLDER else OFFICER
            locks.place_lock(
                session=session, clock=context.clock, actor=actor, account_id=account.id, ground=ground, reason=reason
            )
        return len(active)


def waiting_account(context: Context, commune_code: str) -> WaitingAccount | None:
    """The first account waiting for activation whose holder has a smartphone and a phone number."""
    with unit_of_work(context.database.sessions) as session:
        waiting = accounts_of_commune(
            session, commune_code, AccountStatus.PENDING_ACTIVATION, with_phone_and_smartphone=True, limit=1
        )
    if not waiting or waiting[0].phone is None:
        return None
    return WaitingAccount(waiting[0].id_number, waiting[0].phone)
