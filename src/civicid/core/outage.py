"""Telling a database outage from a bug (docs/decisions/0034-database-outages.md).

An outage is the database not answering, for a while: the server restarted, the link to it was
cut, it is out of connections or disk, SQLite's file is locked or unreadable. What was sent in an
outage was not committed and may be sent again once the database answers; the API says so with a
503 and ``Retry-After``, the worker waits and resumes. Every other database error is a bug (a
constraint broken, a statement that does not compile) and stays one: a 500, a job failure.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from civicid.core.dialects import SQLITE, dialect_of

# SQLite's primary result codes that mean "not now" rather than "never" (sqlite.org/rescode.html):
# BUSY, LOCKED, IOERR, FULL, CANTOPEN, PROTOCOL. SQLITE_ERROR, also raised as OperationalError, is
# a statement that does not compile: a bug.
_SQLITE_OUTAGES = frozenset({5, 6, 10, 13, 14, 15})


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says the database is unavailable, as opposed to a bug in what was asked of it.

    On PostgreSQL (psycopg) every ``OperationalError`` and ``InterfaceError`` is the server or the
    link: connection refused or lost, administrator shutdown, too many connections, a deadlock or
    serialisation failure that a retry resolves. A connection SQLAlchemy invalidated is one on any
    database, and so is a pool with no connection to lend.
    """
    if isinstance(error, PoolTimeout):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.Error):
        code = getattr(error.orig, "sqlite_errorcode", None)
        return isinstance(error, OperationalError) and code is not None and code & 0xFF in _SQLITE_OUTAGES
    return isinstance(error, OperationalError | InterfaceError)


def database_answers(engine: Engine) -> bool:
    """Whether the database answers a trivial read now: one pooled connection and one round trip.

    No transaction is begun, so the probe never waits behind a writer: on SQLite every transaction
    begins IMMEDIATE (core/database.py), and the read goes to the driver directly; on PostgreSQL
    the connection is in autocommit for the probe. A failure on a pooled connection invalidates it
    (on PostgreSQL, the whole pool), so the next probe after an outage opens fresh connections.
    """
    try:
        with engine.connect() as connection:
            if dialect_of(connection) == SQLITE:
                driver = connection.connection.driver_connection
                if driver is None:
                    return False
                try:
                    driver.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
                except sqlite3.Error:
                    connection.invalidate()
                    return False
            else:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("SELECT 1")
    except DBAPIError:
        return False
    return True
