"""All of the simulated agencies' SQL; the session is the caller's and is never committed here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from civicid.agencies.models import SimulatedHealthCard, SimulatedLicence, SimulatedOutage, SimulatedVehicle
from civicid.core.database import Base, insert_if_absent
from civicid.country.documents import DocumentKind


def licence(session: Session, number: str) -> SimulatedLicence | None:
    return session.get(SimulatedLicence, number)


def vehicle(session: Session, plate: str) -> SimulatedVehicle | None:
    return session.get(SimulatedVehicle, plate)


def health_card(session: Session, number: str) -> SimulatedHealthCard | None:
    return session.get(SimulatedHealthCard, number)


def insert_rows(session: Session, table: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """One executemany INSERT for the lot (the simulator loads a commune's records at once)."""
    if rows:
        session.execute(insert(table), list(rows))


def is_down(session: Session, kind: DocumentKind) -> bool:
    return session.get(SimulatedOutage, kind) is not None


def set_down(session: Session, kind: DocumentKind, since: dt.datetime) -> bool:
    """True if the agency was up until now."""
    return insert_if_absent(session, SimulatedOutage, {"kind": kind, "since": since})


def set_up(session: Session, kind: DocumentKind) -> bool:
    """True if the agency was down until now."""
    was_down = is_down(session, kind)
    session.execute(delete(SimulatedOutage).where(SimulatedOutage.kind == kind))
    return was_down


def outages(session: Session) -> dict[DocumentKind, dt.datetime]:
    return {o.kind: o.since for o in session.scalars(select(SimulatedOutage))}
