"""Who has a way in, by village: the named queries the campaign's figures read (issue 19).

- *children's accounts*: level-1 accounts parents added for their children (``children.py``);
- *assisted activations*: confirmed at the office for people without a smartphone (``assisted.py``);
- *without any path*: residents present, 14 and over, without a smartphone and without any account —
  they cannot open level 1 on a phone, no parent adds them, and no one has activated them at the
  office: what tomorrow's plan routes to the teams as assisted activations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from civicid.accounts.models import AssistedActivation, EidAccount, GuardedAccount
from civicid.country.age import latest_birth_date
from civicid.registry.codes import ResidenceStatus
from civicid.registry.queries import persons, village_ids_in


def children_by_village(session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    query = (
        select(persons.c.village_id, func.count())
        .join(EidAccount, EidAccount.person_id == persons.c.id)
        .join(GuardedAccount, GuardedAccount.account_id == EidAccount.id)
        .where(persons.c.village_id.in_(village_ids_in(commune_codes)))
        .group_by(persons.c.village_id)
    )
    return _counts(session, query)


def assisted_by_village(session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    query = (
        select(persons.c.village_id, func.count(func.distinct(AssistedActivation.account_id)))
        .join(EidAccount, EidAccount.person_id == persons.c.id)
        .join(AssistedActivation, AssistedActivation.account_id == EidAccount.id)
        .where(persons.c.village_id.in_(village_ids_in(commune_codes)), AssistedActivation.confirmed_at.is_not(None))
        .group_by(persons.c.village_id)
    )
    return _counts(session, query)


def without_path_by_village(session: Session, commune_codes: Sequence[str], today: dt.date) -> dict[int, int]:
    accounts = select(EidAccount.person_id)
    query = (
        select(persons.c.village_id, func.count())
        .where(
            persons.c.village_id.in_(village_ids_in(commune_codes)),
            persons.c.has_smartphone.is_(False),
            persons.c.residence_status == ResidenceStatus.PRESENT,
            persons.c.date_of_birth <= latest_birth_date(today, 14),
            persons.c.id.not_in(accounts),
        )
        .group_by(persons.c.village_id)
    )
    return _counts(session, query)


def _counts(session: Session, query: Select[int, int]) -> dict[int, int]:
    return {int(village_id): int(n) for village_id, n in session.execute(query).all() if n}
