"""Database engine, the declarative base and the unit of work.

SQLite (WAL, foreign keys on) is the embedded default and PostgreSQL the production database
(DESIGN.md decision 1). Both run the same Alembic migrations. One transaction per request, job or
command: the caller opens :func:`unit_of_work`; services and repositories never commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take SQLite's write lock when the transaction begins, not at its first write: the audit
    # chain reads its last hash and then appends, which must not interleave with another writer.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with CivicID's connection settings for each dialect."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # No pre-ping: it costs a round trip on every request; a connection the server closed is
    # detected on use, invalidated and replaced, and connections are recycled hourly.
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=3600)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def insert_if_absent(
    session: Session, table: type[Base], values: dict[str, Any], *, index_elements: list[str] | None = None
) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``, the idempotent insert, on either database; True if it inserted.

    Both spell it the same way, but SQLAlchemy keeps the construct per dialect: it is chosen here,
    once. On PostgreSQL a concurrent insert of the same key waits for that transaction, then does
    nothing if it committed; no error reaches the caller's transaction.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=index_elements)
    # RETURNING yields a row only when the row was inserted, on both databases (the ORM's rowcount
    # is -1 on PostgreSQL, so it cannot tell).
    primary_key = list(inspect(table).primary_key)
    return session.execute(statement.returning(*primary_key)).first() is not None


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with sessions() as session, session.begin():
        yield session
