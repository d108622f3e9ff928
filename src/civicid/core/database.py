"""Database engine, the declarative base and the unit of work.

SQLite (WAL, foreign keys on) is the embedded default and PostgreSQL the production database
(DESIGN.md decision 1). Both run the same Alembic migrations. One transaction per request, job or
command: the caller opens :func:`unit_of_work`; services and repositories never commit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, TableClause, column, create_engine, event, inspect, make_url, table
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from civicid.core.dialects import dialect_of, insert_into

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
    # Let the dialect issue BEGIN itself (see ImmediateSQLiteDialect), not the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class ImmediateSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite whose transactions begin ``IMMEDIATE``: SQLite's write lock is taken at BEGIN.

    The audit chain reads its last hash and then appends, which must not interleave with another
    writer, so no transaction may start as a reader and upgrade later. This was an engine "begin"
    listener; but any engine listener makes SQLAlchemy dispatch its engine events around every
    statement (about a quarter of a simple statement's CPU), while ``do_begin`` is the dialect's own
    hook, called once per transaction with the same error handling.
    """

    supports_statement_cache = True  # a subclass must say so, or SQLAlchemy stops caching its SQL
    driver = "civicid"

    def do_begin(self, dbapi_connection: Any) -> None:
        dbapi_connection.execute("BEGIN IMMEDIATE")


_SQLITE_DRIVER = "sqlite+civicid"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with CivicID's connection settings for each dialect.

    A ``sqlite`` URL gets :class:`ImmediateSQLiteDialect` (driver name ``sqlite+civicid``).
    """
    if url.startswith("sqlite"):
        # Registering is idempotent; done here, not at import, so that importing does no work.
        registry.register(_SQLITE_DRIVER.replace("+", "."), __name__, ImmediateSQLiteDialect.__name__)
        sqlite_url = make_url(url).set(drivername=_SQLITE_DRIVER)
        engine = create_engine(sqlite_url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)  # a pool event: no per-statement dispatch
        return engine
    # No pre-ping: it costs a round trip on every request; a connection the server closed is
    # detected on use, invalidated and replaced, and connections are recycled hourly.
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=3600, connect_args=_postgresql_timeouts(url))


# libpq waits for ever on a server that does not answer (a cut link drops packets silently), and
# notices a dead idle connection only after the kernel's two hours: a connection attempt gives up
# after 10 s, and a connection that stops answering is dropped within about a minute (keepalives).
# The URL may say otherwise (``?connect_timeout=30``): its values are kept.
POSTGRESQL_TIMEOUTS = {"connect_timeout": 10, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def make_encrypted_sqlite_engine(path: Path, key: bytes) -> Engine:
    """An engine for a SQLCipher 4 database at ``path``, keyed with the raw 256-bit ``key``.

    The same dialect and pragmas as :func:`make_engine`'s SQLite, through the ``sqlcipher3`` module
    (SQLite with SQLCipher built in): every page of the file, its WAL and its journal is AES-256
    encrypted and authenticated (HMAC-SHA512). A raw key (``x'…'``) skips SQLCipher's own PBKDF2,
    which would cost every new connection a fraction of a second: the caller derives the key once.
    """
    import sqlcipher3.dbapi2 as sqlcipher

    if len(key) != 32:
        raise ValueError("a SQLCipher raw key is 32 bytes")
    registry.register(_SQLITE_DRIVER.replace("+", "."), __name__, ImmediateSQLiteDialect.__name__)
    url = make_url(f"sqlite:///{path}").set(drivername=_SQLITE_DRIVER)
    engine = create_engine(url, module=sqlcipher, connect_args={"check_same_thread": False, "timeout": 30})
    # The key must be the connection's first statement, before the pragmas read the file.
    event.listen(engine, "connect", functools.partial(_sqlcipher_key, key.hex()))
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlcipher_key(key_hex: str, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA key = \"x'{key_hex}'\"")
    cursor.close()


def _postgresql_timeouts(url: str) -> dict[str, int]:
    given = make_url(url).query
    return {name: value for name, value in POSTGRESQL_TIMEOUTS.items() if name not in given}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def insert_if_absent(
    session: Session, table: type[Base], values: dict[str, Any], *, index_elements: list[str] | None = None
) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``, the idempotent insert, on either database; True if it inserted.

    On PostgreSQL a concurrent insert of the same key waits for that transaction, then does
    nothing if it committed; no error reaches the caller's transaction.
    """
    statement = insert_into(table, dialect_of(session)).values(**values)
    statement = statement.on_conflict_do_nothing(index_elements=index_elements)
    # RETURNING yields a row only when the row was inserted, on both databases (the ORM's rowcount
    # is -1 on PostgreSQL, so it cannot tell).
    primary_key = list(inspect(table).primary_key)
    return session.execute(statement.returning(*primary_key)).first() is not None


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with sessions() as session, session.begin():
        yield session


def read_only_projection(model: Any, *names: str) -> TableClause:
    """A view of ``model``'s table with only the columns ``names``, for another capability's reads.

    The owner exports it from its ``queries.py`` (decision 0035): the table's own name and column
    types, and no model, so a statement built on it is the very SQL the table gives (no subquery)
    and reads the same indexes, while the reader sees only the columns the owner named. It has no
    mapper: it cannot load, add or change rows.
    """
    source = model.__table__
    return table(source.name, *(column(name, source.c[name].type) for name in names))
