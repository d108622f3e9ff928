"""The accounts' reads for other capabilities: named, set-based, without the accounts' models.

Other folders never import ``accounts.models`` (an import-linter contract, decision 0035).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import TableClause, func, select
from sqlalchemy.orm import Session

from civicid.accounts.models import EidAccount
from civicid.accounts.statuses import AccountStatus
from civicid.core.database import read_only_projection
from civicid.registry.queries import persons, villages

#: e-ID accounts, read-only, with only the columns another capability may read:
#: ``campaign.tally.rebuild_activations`` counts activated level-2 accounts by the holder's village,
#: one INSERT … SELECT joining persons (the repair of the triggers' tally, decision 0016). Same table
#: name, same column types: the SQL is the table's own, and so are the indexes that serve it.
eid_accounts: TableClause = read_only_projection(EidAccount, "person_id", "level", "activated_at")


@dataclass(frozen=True)
class CommuneAccount:
    id: str
    id_number: str
    phone: str | None
    has_smartphone: bool  # the registry's word on the holder


def accounts_of_commune(
    session: Session,
    commune_code: str,
    status: AccountStatus,
    *,
    issued_by: dt.datetime | None = None,
    with_phone_and_smartphone: bool = False,
    except_id_number: str | None = None,
    limit: int | None = None,
) -> list[CommuneAccount]:
    """The commune's accounts in ``status``, in the order of issue, then of person (one query).

    The simulator's phones and demo citizens pick accounts with it (``sim/phones.py``,
    ``sim/citizens.py``): the order, not the random account ids, makes a seed give the same demo.
    """
    query = (
        select(EidAccount.id, EidAccount.id_number, EidAccount.phone, persons.c.has_smartphone)
        .join(persons, persons.c.id == EidAccount.person_id)
        .join(villages, villages.c.id == persons.c.village_id)
        .where(villages.c.commune_code == commune_code, EidAccount.status == status)
        .order_by(EidAccount.issued_at, EidAccount.person_id)
    )
    if issued_by is not None:
        query = query.where(EidAccount.issued_at <= issued_by)
    if with_phone_and_smartphone:
        query = query.where(persons.c.has_smartphone.is_(True), EidAccount.phone.is_not(None))
    if except_id_number is not None:
        query = query.where(EidAccount.id_number != except_id_number)
    if limit is not None:
        query = query.limit(limit)
    return [CommuneAccount(a, n, p, bool(s)) for a, n, p, s in session.execute(query)]


def account_status(session: Session, account_id: str) -> AccountStatus | None:
    """The account's status, or ``None`` for an unknown account (the demo checks an activation took)."""
    return session.scalar(select(EidAccount.status).where(EidAccount.id == account_id))


def account_statuses(session: Session, person_ids: Sequence[int]) -> dict[int, AccountStatus]:
    """Person -> the status of their e-ID account, for those of ``person_ids`` who hold one (one query).

    A search's results show it beside each person (``enrollment.person_status``).
    """
    if not person_ids:
        return {}
    query = select(EidAccount.person_id, EidAccount.status).where(EidAccount.person_id.in_(set(person_ids)))
    return {person: status for person, status in session.execute(query)}


def activated_in_commune(session: Session, commune_code: str) -> int:
    """How many accounts of the commune's residents are activated (the home page's figure)."""
    query = (
        select(func.count())
        .select_from(EidAccount)
        .join(persons, persons.c.id == EidAccount.person_id)
        .join(villages, villages.c.id == persons.c.village_id)
        .where(villages.c.commune_code == commune_code, EidAccount.activated_at.is_not(None))
    )
    return int(session.scalar(query) or 0)


__all__ = [
    "CommuneAccount",
    "account_status",
    "account_statuses",
    "accounts_of_commune",
    "activated_in_commune",
    "eid_accounts",
]
