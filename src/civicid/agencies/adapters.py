"""The simulated agencies behind :class:`~civicid.agencies.ports.AgencyRegistry`, each with its own table.

They answer as a real agency's database would: a document is confirmed only when it exists, belongs
to the ID number asked about, and every key field matches; otherwise :class:`NotConfirmed`, the
same answer whichever of the three failed. One told it is down (``service.set_down``) raises
:class:`AgencyUnavailable`. Their names say "simulated" (mô phỏng) wherever the wallet shows them.
The composition chooses them (``civicid/plugins.py``) until real agencies' APIs are wired in.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from civicid.agencies import repository
from civicid.agencies.errors import AgencyUnavailable
from civicid.agencies.kinds import DocumentQuery
from civicid.agencies.ports import Agency, Answer, Confirmed, NotConfirmed, RecordStatus
from civicid.core.clock import Clock
from civicid.country.documents import DocumentKind

TRAFFIC_POLICE = Agency("Cục Cảnh sát giao thông (mô phỏng)", "Traffic Police Department (simulated)", simulated=True)
SOCIAL_SECURITY = Agency("Bảo hiểm xã hội Việt Nam (mô phỏng)", "Vietnam Social Security (simulated)", simulated=True)
SIMULATED_AGENCIES: Mapping[DocumentKind, Agency] = {
    DocumentKind.DRIVING_LICENCE: TRAFFIC_POLICE,
    DocumentKind.VEHICLE_REGISTRATION: TRAFFIC_POLICE,
    DocumentKind.HEALTH_INSURANCE: SOCIAL_SECURITY,
}


class SimulatedAgencies:
    """The traffic police's and social security's registers, simulated in the deployment's database."""

    def agencies(self) -> Mapping[DocumentKind, Agency]:
        return SIMULATED_AGENCIES

    def confirm(self, *, session: Session, clock: Clock, query: DocumentQuery) -> Answer:
        lookup = _LOOKUPS.get(query.kind)
        if lookup is None:
            return NotConfirmed("agency_not_connected")
        if repository.is_down(session, query.kind):
            raise AgencyUnavailable(f"the simulated agency for {query.kind.value} is down")
        return lookup(session, clock.today(), query)


def _licence(session: Session, today: dt.date, query: DocumentQuery) -> Answer:
    row = repository.licence(session, query.number)
    if row is None or not _holds(row.holder_id_number, query) or query.fields["class"] not in row.classes.split():
        return NotConfirmed()
    facts = {"classes": row.classes.split(), **_facts(row, ("points", "issued_on", "valid_until", "issuer"))}
    return Confirmed(TRAFFIC_POLICE, _status(today, row.valid_until, revoked=row.revoked), row.valid_until, facts)


def _vehicle(session: Session, today: dt.date, query: DocumentQuery) -> Answer:
    row = repository.vehicle(session, query.number)
    if row is None or not _holds(row.holder_id_number, query) or row.chassis_number != query.fields["chassis_number"]:
        return NotConfirmed()
    facts = _facts(row, ("plate", "chassis_number", "vehicle_type", "make", "model", "registered_on"))
    return Confirmed(TRAFFIC_POLICE, _status(today, None, revoked=row.revoked), None, facts)


def _health_card(session: Session, today: dt.date, query: DocumentQuery) -> Answer:
    row = repository.health_card(session, query.number)
    if row is None or not _holds(row.holder_id_number, query) or row.issuing_unit != query.fields["issuing_unit"]:
        return NotConfirmed()
    names = ("issuing_unit", "insurer_unit", "benefit_level", "primary_care", "valid_from", "valid_until")
    return Confirmed(
        SOCIAL_SECURITY, _status(today, row.valid_until, revoked=False), row.valid_until, _facts(row, names)
    )


_LOOKUPS: Mapping[DocumentKind, Callable[[Session, dt.date, DocumentQuery], Answer]] = {
    DocumentKind.DRIVING_LICENCE: _licence,
    DocumentKind.VEHICLE_REGISTRATION: _vehicle,
    DocumentKind.HEALTH_INSURANCE: _health_card,
}


def _facts(row: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The record's columns ``names`` as JSON values (dates as ISO text)."""
    values = {name: getattr(row, name) for name in names}
    return {name: v.isoformat() if isinstance(v, dt.date) else v for name, v in values.items()}


def _holds(holder_id_number: str, query: DocumentQuery) -> bool:
    return hmac.compare_digest(holder_id_number, query.id_number)


def _status(today: dt.date, valid_until: dt.date | None, *, revoked: bool) -> RecordStatus:
    if revoked:
        return RecordStatus.REVOKED
    if valid_until is not None and valid_until < today:
        return RecordStatus.EXPIRED
    return RecordStatus.VALID


class NoAgencies:
    """A deployment (or a test) connected to no agency: no kind can be added, and nothing is confirmed."""

    def agencies(self) -> Mapping[DocumentKind, Agency]:
        return {}

    def confirm(self, *, session: Session, clock: Clock, query: DocumentQuery) -> Answer:
        return NotConfirmed("agency_not_connected")
