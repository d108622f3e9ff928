"""The simulated agencies' service: loading their registers, and telling one it is down or up again.

The simulator loads the demo commune's licences, vehicles and cards (``sim/agencies.py``), tests load
the records they need, and ``civicid agencies down|up`` stages an outage for the demo. Every switch
is audited; loading is audited once per batch, with counts only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from civicid.agencies import repository
from civicid.agencies.adapters import SIMULATED_AGENCIES
from civicid.agencies.models import SimulatedHealthCard, SimulatedLicence, SimulatedVehicle
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.errors import InvalidInput
from civicid.country.documents import DocumentKind


@dataclass(frozen=True)
class LicenceRecord:
    number: str
    holder_id_number: str
    classes: str  # space-separated: "A1 B"
    points: int
    issued_on: dt.date
    valid_until: dt.date | None
    issuer: str
    revoked: bool = False


@dataclass(frozen=True)
class VehicleRecord:
    plate: str  # without separators: "20B112345"
    chassis_number: str
    holder_id_number: str
    vehicle_type: str
    make: str
    model: str
    registered_on: dt.date
    revoked: bool = False


@dataclass(frozen=True)
class HealthCardRecord:
    number: str
    holder_id_number: str
    issuing_unit: str
    insurer_unit: str
    benefit_level: int
    primary_care: str
    valid_from: dt.date
    valid_until: dt.date


def load_records(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    licences: Sequence[LicenceRecord] = (),
    vehicles: Sequence[VehicleRecord] = (),
    cards: Sequence[HealthCardRecord] = (),
) -> None:
    """Add records to the simulated registers, one INSERT per register."""
    repository.insert_rows(session, SimulatedLicence, [asdict(r) for r in licences])
    repository.insert_rows(session, SimulatedVehicle, [asdict(r) for r in vehicles])
    repository.insert_rows(session, SimulatedHealthCard, [asdict(r) for r in cards])
    counts = {"licences": len(licences), "vehicles": len(vehicles), "cards": len(cards)}
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="agency.simulated_load",
        subject_type="agency",
        subject_id="simulated",
        details=counts,
    )


def set_available(*, session: Session, clock: Clock, actor: Actor, kind: DocumentKind, available: bool) -> bool:
    """Tell the simulated agency of ``kind`` it is down, or up again; True if that changed anything."""
    if kind not in SIMULATED_AGENCIES:
        raise InvalidInput(f"no simulated agency answers for {kind.value}", field="kind")
    changed = repository.set_up(session, kind) if available else repository.set_down(session, kind, clock.now())
    if changed:
        audit.record(
            session=session,
            clock=clock,
            actor=actor,
            action="agency.simulated_up" if available else "agency.simulated_down",
            subject_type="agency",
            subject_id=kind.value,
        )
    return changed


def outages(*, session: Session) -> dict[DocumentKind, dt.datetime]:
    """The simulated agencies told they are down, and since when."""
    return repository.outages(session)
