"""An owner's read-only projection reads its table exactly as the model does (decision 0035).

Other folders compose SQL on ``registry.queries.persons`` and the like instead of the models; this
is what keeps their statements as fast as before: the SQL must be the same, on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import TableClause, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select

from civicid.accounts import queries as accounts
from civicid.accounts.models import EidAccount
from civicid.enrollment import queries as enrollment
from civicid.enrollment.models import Application
from civicid.registry import queries as registry
from civicid.registry.codes import CardStatus, ResidenceStatus
from civicid.registry.models import Household, IdCard, Person, Village

PROJECTIONS = [
    (registry.villages, Village),
    (registry.households, Household),
    (registry.persons, Person),
    (registry.id_cards, IdCard),
    (enrollment.applications, Application),
    (accounts.eid_accounts, EidAccount),
]


def compiled(statement: Select[Any]) -> list[str]:
    return [str(statement.compile(dialect=d)) for d in (sqlite.dialect(), postgresql.dialect())]


@pytest.mark.parametrize(("projection", "model"), PROJECTIONS, ids=lambda p: getattr(p, "name", ""))
def test_a_projection_selects_what_the_model_selects(projection: TableClause, model: Any) -> None:
    names = [c.name for c in projection.c]
    from_projection = select(*projection.c).where(projection.c[names[0]] == 1)
    from_model = select(*(getattr(model, n) for n in names)).where(getattr(model, names[0]) == 1)
    assert compiled(from_projection) == compiled(from_model)


@pytest.mark.parametrize(("projection", "model"), PROJECTIONS, ids=lambda p: getattr(p, "name", ""))
def test_a_projection_names_only_columns_of_the_table_with_their_types(projection: TableClause, model: Any) -> None:
    table = model.__table__
    assert projection.name == table.name
    for column in projection.c:
        assert type(column.type) is type(table.c[column.name].type)


def test_the_card_gap_rebuild_is_the_same_statement_on_projections() -> None:
    """A correlated subquery across two projections correlates as it did across the models."""

    def gaps(persons: Any, cards: Any) -> Select[Any]:
        valid = (cards.person_id == persons.id) & (cards.status == CardStatus.VALID)
        last_expiry = select(func.max(cards.expiry_date)).where(valid).scalar_subquery()
        never_expires = select(cards.id).where(valid, cards.expiry_date.is_(None)).exists()
        return select(persons.id, persons.village_id, last_expiry).where(
            persons.residence_status.in_([ResidenceStatus.PRESENT]), ~never_expires
        )

    assert compiled(gaps(registry.persons.c, registry.id_cards.c)) == compiled(gaps(Person, IdCard))
