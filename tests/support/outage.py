"""A database outage on demand, for tests of what survives one (docs/decisions/0034-database-outages.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker


def connection_lost() -> OperationalError:
    """What SQLAlchemy raises when the connection dies under a statement, on either database."""
    return OperationalError(
        "SELECT …", {}, ConnectionError("server closed the connection"), connection_invalidated=True
    )


class FlakySessions(sessionmaker[Session]):
    """The sessions of ``engine`` (as core/database.py makes them); opening one fails while ``down`` is set."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(bind=engine, expire_on_commit=False)
        self.down = False

    def __call__(self, **options: Any) -> Session:
        if self.down:
            raise connection_lost()
        return super().__call__(**options)
