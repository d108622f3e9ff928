"""A list parameter in a prebuilt statement: ``column IN (…)`` that stays cheap on PostgreSQL.

SQLAlchemy expands ``IN`` with one placeholder per value, so a batch's hundred ids make a query
with a hundred placeholders. psycopg converts its placeholders to PostgreSQL's in Python and caches
that only for queries under 50 of them: every batch paid the conversion again (about three times the
CPU of the query with one array parameter, measured for docs/decisions/0029). On PostgreSQL the
list is therefore one array parameter, ``column = ANY(:name)``; SQLite keeps the expanded ``IN``,
which its driver handles in C.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.types import NullType, TypeEngine

from civicid.core.dialects import POSTGRESQL


def one_of(column: ColumnElement[Any] | QueryableAttribute[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` equal to one of the list bound as ``name``, written for ``dialect``."""
    if dialect == POSTGRESQL:
        return column == any_(bindparam(name, type_=ARRAY(_item_type(column))))
    return column.in_(bindparam(name, expanding=True))


def _item_type(column: ColumnElement[Any] | QueryableAttribute[Any]) -> TypeEngine[Any]:
    """The column's type; a foreign key declared without one takes its target's (SQLAlchemy copies it late)."""
    expression = column.expression if isinstance(column, QueryableAttribute) else column
    if isinstance(expression.type, NullType):
        for key in getattr(expression, "foreign_keys", ()):
            target: TypeEngine[Any] = key.column.type
            return target
    return expression.type
