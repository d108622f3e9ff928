"""The port to the agencies that own the documents: the traffic police (driving licences, vehicle
registrations) and Vietnam Social Security (health-insurance cards).

Documents are integrated by reference (DOMAIN.md "The document wallet"): the holder types a
document's key fields and the owning agency's database answers whether the document exists *and
belongs to this ID number*, and if so what it says. The answer never tells whether the document
exists for someone else: no such document, another person's document and a key field that does not
match are one answer, :class:`NotConfirmed`. An agency that cannot be reached raises
:class:`~civicid.agencies.errors.AgencyUnavailable`; the caller keeps the request pending and asks
again later.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import Session

from civicid.agencies.kinds import DocumentQuery
from civicid.core.clock import Clock
from civicid.country.documents import DocumentKind

__all__ = ["Agency", "AgencyRegistry", "Answer", "Confirmed", "DocumentQuery", "NotConfirmed", "RecordStatus"]


class RecordStatus(StrEnum):
    """The agency's record, on the day it answered."""

    VALID = "valid"
    REVOKED = "revoked"  # withdrawn by the agency (a licence revoked, a registration cancelled)
    EXPIRED = "expired"  # past its valid-until date


@dataclass(frozen=True)
class Agency:
    """Who answers for a kind of document, named in Vietnamese and English; ``simulated`` ones say so."""

    vi: str
    en: str
    simulated: bool


@dataclass(frozen=True)
class Confirmed:
    """The document is this person's: the agency's facts about it (JSON values; dates as ISO text)."""

    agency: Agency
    status: RecordStatus
    valid_until: dt.date | None
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotConfirmed:
    """One answer for no such document, another person's document, and a key field that does not match."""

    reason: str = "not_confirmed"


Answer = Confirmed | NotConfirmed


class AgencyRegistry(Protocol):
    """Every agency the deployment is connected to, behind one port."""

    def agencies(self) -> Mapping[DocumentKind, Agency]:
        """The kinds of document some agency answers for, and who."""
        ...

    def confirm(self, *, session: Session, clock: Clock, query: DocumentQuery) -> Answer:
        """Ask the owning agency about ``query`` (normalised by ``agencies.kinds.normalise``).

        ``session`` is the caller's transaction: an adapter to a remote agency ignores it; the
        simulated agencies read their tables in it. ``query.id_number`` is personal data: sent to
        the agency, never logged. Raises ``AgencyUnavailable`` when the agency does not answer.
        """
        ...
