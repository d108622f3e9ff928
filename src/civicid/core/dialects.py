"""Where PostgreSQL and SQLite differ, said in one place (decision 0036).

CivicID runs on both (DESIGN.md decision 1). Every other module asks here rather than comparing a
dialect's name itself: :func:`on_postgresql` for a path that only PostgreSQL takes (a statement
that saves a round trip, an advisory lock), :func:`per_dialect` and :func:`by_dialect` for a
statement built once per dialect and picked by ``connection.dialect.name`` with one dict lookup,
:func:`insert_into` for the INSERT that takes ``ON CONFLICT``, and a few date expressions that each
database spells its own way. The SQL each database runs is what the modules spelled themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Date, cast, func, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T")
Expression = ColumnElement[Any] | QueryableAttribute[Any]  # a column, or an expression over columns

POSTGRESQL: Final = "postgresql"
SQLITE: Final = "sqlite"


def dialect_of(bind: Connection | Session) -> str:
    """The name of the database ``bind`` talks to: :data:`POSTGRESQL` or :data:`SQLITE`."""
    if isinstance(bind, Connection):
        return bind.dialect.name
    return bind.get_bind().dialect.name


def on_postgresql(bind: Connection | Session) -> bool:
    """Whether ``bind`` talks to PostgreSQL, for a path only PostgreSQL takes."""
    return dialect_of(bind) == POSTGRESQL


class PerDialect(dict[str, T]):
    """A value for each dialect, built on first use (every model is mapped by then) and kept.

    A dict, so that picking the statement on a hot path is one lookup.
    """

    def __init__(self, build: Callable[[str], T]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, dialect: str) -> T:
        built = self[dialect] = self._build(dialect)
        return built


def per_dialect(build: Callable[[str], T]) -> PerDialect[T]:
    """``build(dialect)`` once per dialect, to pick by ``connection.dialect.name``."""
    return PerDialect(build)


def by_dialect(*, postgresql: T, sqlite: T) -> PerDialect[T]:
    """The value given for each dialect (where the two differ by more than a name passed in)."""
    chosen = PerDialect(_unsupported)
    chosen.update({POSTGRESQL: postgresql, SQLITE: sqlite})
    return chosen


def _unsupported(dialect: str) -> Any:
    raise LookupError(f"CivicID runs on {POSTGRESQL} and {SQLITE}, not {dialect}")


_INSERTS: dict[str, Callable[[Any], postgresql.Insert | sqlite.Insert]] = {
    POSTGRESQL: postgresql.insert,
    SQLITE: sqlite.insert,
}


def insert_into(table: Any, dialect: str) -> postgresql.Insert | sqlite.Insert:
    """``INSERT INTO table`` as ``dialect`` builds it, the construct that takes ``ON CONFLICT``.

    Both databases spell ``ON CONFLICT … DO NOTHING | DO UPDATE`` the same way, but SQLAlchemy
    keeps the construct per dialect.
    """
    return _INSERTS[dialect](table)


# Date arithmetic ---------------------------------------------------------------------------------


def local_date(instant: Expression, utc_offset: dt.timedelta, dialect: str) -> ColumnElement[Any]:
    """The calendar date ``utc_offset`` away from UTC of an instant stored in UTC, in the database.

    A fixed offset, in whole hours: a zone without daylight saving.
    """
    hours, rest = divmod(utc_offset, dt.timedelta(hours=1))
    if rest:
        raise ValueError(f"an offset of whole hours, not {utc_offset}")
    if dialect == POSTGRESQL:
        return cast(func.timezone("UTC", instant) + literal_column(f"interval '{hours} hours'"), Date)
    return func.date(instant, f"{hours:+d} hours")


def day_after(day: Expression, dialect: str) -> ColumnElement[Any]:
    """The date after ``day``."""
    if dialect == POSTGRESQL:
        return day + literal_column("1")
    return func.date(day, "+1 day")


def greatest(*values: Expression, dialect: str) -> ColumnElement[Any]:
    """The greatest of ``values`` (SQLite's ``max`` of several arguments is its ``GREATEST``)."""
    return func.greatest(*values) if dialect == POSTGRESQL else func.max(*values)
