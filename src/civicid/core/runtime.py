"""Opening a deployment's database from its settings: what every command and the server start with."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from civicid.core import migrate
from civicid.core.clock import Clock
from civicid.core.database import make_engine, make_session_factory
from civicid.core.errors import DatabaseUnavailable
from civicid.core.settings import Settings


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


def open_database(settings: Settings, *, upgrade: bool = True) -> Database:
    """Connect, creating the data folder for SQLite, and apply pending migrations unless told not to."""
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(f"cannot use the data folder {settings.data_dir}: {exc.strerror}") from exc
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as exc:
        engine.dispose()
        where = make_url(url).render_as_string(hide_password=True)
        raise DatabaseUnavailable(f"cannot open the database {where}: {_first_line(exc.orig)}") from exc
    if upgrade:
        migrate.upgrade(engine)
    return Database(engine=engine, sessions=make_session_factory(engine))


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if error is not None and str(error).strip() else "no reason given"


@dataclass
class Context:
    """What a command or request needs: settings, the database and the clock."""

    settings: Settings
    database: Database
    clock: Clock


def open_context(settings: Settings, *, clock: Clock, upgrade: bool = True) -> Context:
    return Context(settings=settings, database=open_database(settings, upgrade=upgrade), clock=clock)
