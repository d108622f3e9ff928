"""The simulated agencies' registers in tests: one record at a time, for a given holder, and outages."""

from __future__ import annotations

import datetime as dt
import itertools

from civicid.agencies import service
from civicid.agencies.service import HealthCardRecord, LicenceRecord, VehicleRecord
from civicid.core.audit import SYSTEM
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.documents import DocumentKind

_serials = itertools.count(1)


def licence(
    context: Context,
    holder_id_number: str,
    *,
    classes: str = "A1",
    valid_until: dt.date | None = None,
    revoked: bool = False,
) -> LicenceRecord:
    """A driving licence the traffic police hold for ``holder_id_number`` (motorcycle classes: no expiry)."""
    record = LicenceRecord(
        number=f"1901{next(_serials):08d}",
        holder_id_number=holder_id_number,
        classes=classes,
        points=12,
        issued_on=dt.date(2015, 6, 1),
        valid_until=valid_until,
        issuer="Công an tỉnh Thái Nguyên",
        revoked=revoked,
    )
    _load(context, licences=[record])
    return record


def vehicle(context: Context, holder_id_number: str) -> VehicleRecord:
    serial = next(_serials)
    record = VehicleRecord(
        plate=f"20B1{serial:05d}",
        chassis_number=f"RLHJA3906PY{serial:06d}",
        holder_id_number=holder_id_number,
        vehicle_type="motorcycle",
        make="Honda",
        model="Wave Alpha",
        registered_on=dt.date(2020, 3, 1),
    )
    _load(context, vehicles=[record])
    return record


def health_card(
    context: Context, holder_id_number: str, *, valid_until: dt.date = dt.date(2027, 6, 30)
) -> HealthCardRecord:
    record = HealthCardRecord(
        number=f"19{next(_serials):08d}",
        holder_id_number=holder_id_number,
        issuing_unit="19405",
        insurer_unit="Bảo hiểm xã hội cơ sở Võ Nhai",
        benefit_level=1,
        primary_care="Trạm Y tế xã Võ Nhai",
        valid_from=dt.date(2026, 7, 1),
        valid_until=valid_until,
    )
    _load(context, cards=[record])
    return record


def set_down(context: Context, kind: DocumentKind, *, down: bool = True) -> None:
    """Tell the simulated agency of ``kind`` it is down (or, ``down=False``, up again)."""
    with unit_of_work(context.database.sessions) as session:
        service.set_available(session=session, clock=context.clock, actor=SYSTEM, kind=kind, available=not down)


def _load(
    context: Context,
    *,
    licences: list[LicenceRecord] | None = None,
    vehicles: list[VehicleRecord] | None = None,
    cards: list[HealthCardRecord] | None = None,
) -> None:
    with unit_of_work(context.database.sessions) as session:
        service.load_records(
            session=session,
            clock=context.clock,
            actor=SYSTEM,
            licences=licences or (),
            vehicles=vehicles or (),
            cards=cards or (),
        )
