"""Telling an outage from a bug, and the health probe, on real errors from both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from civicid.core.database import make_engine
from civicid.core.outage import database_answers, is_outage
from civicid.core.runtime import Database

# Nothing listens on port 1 of the loopback: the connection is refused at once.
REFUSING_POSTGRESQL = "postgresql+psycopg://nobody@127.0.0.1:1/civicid"


@pytest.fixture
def unreachable(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    engine = make_engine(
        REFUSING_POSTGRESQL if request.param == "postgresql" else f"sqlite:///{tmp_path}/missing/civicid.sqlite3"
    )
    yield engine
    engine.dispose()


def _error_of(engine: Engine, statement: str) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        connection.execute(text(statement))
    return raised.value


@pytest.mark.parametrize("unreachable", ["sqlite", "postgresql"], indirect=True)
def test_a_database_that_cannot_be_reached_is_an_outage(unreachable: Engine) -> None:
    assert is_outage(_error_of(unreachable, "SELECT 1"))
    assert not database_answers(unreachable)


def test_a_statement_that_does_not_compile_is_a_bug_not_an_outage(database: Database) -> None:
    # SQLite raises OperationalError for it, as for a locked or unreadable file.
    assert not is_outage(_error_of(database.engine, "SELEC 1"))


def test_a_broken_constraint_is_a_bug_not_an_outage(database: Database) -> None:
    error = _error_of(database.engine, "INSERT INTO job (id) VALUES (NULL)")
    assert not is_outage(error)


def test_other_exceptions_are_not_outages() -> None:
    assert not is_outage(RuntimeError("no database here"))


def test_a_database_that_answers_is_healthy(database: Database) -> None:
    assert database_answers(database.engine)
    assert database_answers(database.engine)  # the probe gives its connection back
