"""The simulated agencies' registers for the demo commune, and the documents people ask for on form TK01.

What a person holds is a pure function of their ID number (itself made from the demo's seed) and
date of birth: :func:`holdings` decides it, the demo fills the agencies' tables from it
(:func:`fill_agencies`), and the simulated kits list on TK01 documents the agencies hold
(:func:`tk01_documents`), so that the demo's activations integrate them. A few requests are wrong on
purpose (a class the licence does not carry, a mistyped chassis number, another issuing unit), and
the demo shows them refused.

Shares, for a northern mountain commune: about two adults in five hold a driving licence (mostly
A1, motorcycles), a little under half own a registered vehicle, and nearly everyone has a
health-insurance card (free for ethnic minorities and children). A few licences are revoked, some
B licences and cards expire within 30 days, a few have expired. The key fields (numbers, classes,
plates, chassis, issuing units) do not depend on the day; the dates do, counted from ``today``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicid.agencies import service as agencies
from civicid.agencies.service import HealthCardRecord, LicenceRecord, VehicleRecord
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.country.age import age_on, birthday
from civicid.country.documents import DocumentKind
from civicid.protocol.packet import Document
from civicid.sim.population import SimCommune

SIMULATOR = Actor("system", "simulator")
LICENCE_SHARE = 0.4  # of adults of 18 and over
VEHICLE_SHARE = 0.45  # of adults of 18 and over
HEALTH_SHARE = 0.92  # of everyone
# Of the holders, those who ask for the document on TK01, and those who get a key field wrong.
ASKS = {DocumentKind.HEALTH_INSURANCE: 0.85, DocumentKind.DRIVING_LICENCE: 0.8, DocumentKind.VEHICLE_REGISTRATION: 0.5}
MISTAKES = {
    DocumentKind.HEALTH_INSURANCE: 0.03,
    DocumentKind.DRIVING_LICENCE: 0.06,
    DocumentKind.VEHICLE_REGISTRATION: 0.05,
}

_MOTORCYCLES = (
    ("Honda", "Wave Alpha"),
    ("Honda", "Vision"),
    ("Yamaha", "Sirius"),
    ("Honda", "Future"),
    ("Suzuki", "Viva"),
)
_CARS = (("Toyota", "Vios"), ("Hyundai", "Grand i10"), ("Kia", "Morning"), ("Ford", "Ranger"))
_UNITS = {"19405": "Bảo hiểm xã hội cơ sở Võ Nhai", "19001": "Bảo hiểm xã hội tỉnh Thái Nguyên"}
_CLINICS = ("Trạm Y tế xã Võ Nhai", "Trung tâm Y tế khu vực Võ Nhai")
_VIN = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_POLICE_ISSUES_FROM = dt.date(2025, 3, 1)  # licences moved from the transport departments to the police


@dataclass(frozen=True)
class KeyFacts:
    """What a person holds, by key fields only: the same whatever the day."""

    licence: tuple[str, tuple[str, ...]] | None  # number, classes
    vehicle: tuple[str, str, bool] | None  # plate, chassis number, is a car
    health: tuple[str, str] | None  # social-insurance number, issuing unit
    # TK01: the kinds asked for, and those asked with a key field wrong.
    asks: frozenset[DocumentKind]
    mistaken: frozenset[DocumentKind]


def key_facts(id_number: str) -> KeyFacts:
    rng = random.Random(f"civicid-sim/agencies/{id_number}")
    digits = int(id_number)
    licence = vehicle = health = None
    if rng.random() < LICENCE_SHARE:
        # A bijection of the 12-digit ID numbers (a multiplier prime to 10): unique, and unlike the ID number.
        number = f"{(digits * 7_919 + 190_000_000_000) % 10**12:012d}"
        classes = rng.choices((("A1",), ("A1", "B"), ("A",), ("A1", "B1"), ("B",)), weights=(70, 15, 6, 4, 5))[0]
        licence = (number, classes)
    if rng.random() < VEHICLE_SHARE:
        car = rng.random() < 0.1
        series = rng.choice("ABCDEFGHK") if car else rng.choice("BDEFGHKLMNPS") + str(rng.randint(1, 9))
        plate = f"20{series}{rng.randint(0, 99_999):05d}"
        chassis = "".join(rng.choice(_VIN) for _ in range(17))
        vehicle = (plate, chassis, car)
    if rng.random() < HEALTH_SHARE:
        health = (f"{(digits * 7_927 + 1_900_000_000) % 10**10:010d}", "19405" if rng.random() < 0.85 else "19001")
    held = {
        DocumentKind.DRIVING_LICENCE: licence,
        DocumentKind.VEHICLE_REGISTRATION: vehicle,
        DocumentKind.HEALTH_INSURANCE: health,
    }
    asks = {kind for kind, share in ASKS.items() if rng.random() < share and held[kind] is not None}
    mistaken = {kind for kind, share in MISTAKES.items() if rng.random() < share and kind in asks}
    return KeyFacts(licence, vehicle, health, frozenset(asks), frozenset(mistaken))


def holds_licence(facts: KeyFacts, date_of_birth: dt.date, today: dt.date) -> bool:
    return facts.licence is not None and age_on(date_of_birth, today) >= 18


def holds_vehicle(facts: KeyFacts, date_of_birth: dt.date, today: dt.date) -> bool:
    return facts.vehicle is not None and age_on(date_of_birth, today) >= 18


def tk01_documents(id_number: str, date_of_birth: dt.date, today: dt.date | None = None) -> tuple[Document, ...]:
    """The documents a person asks to integrate on form TK01, as a kit records them on ``today``.

    Without ``today``, adults are taken as old enough to hold everything they would.
    """
    facts = key_facts(id_number)
    when = today or birthday(date_of_birth, 18)
    documents = []
    if facts.health is not None and DocumentKind.HEALTH_INSURANCE in facts.asks:
        number, unit = facts.health
        if DocumentKind.HEALTH_INSURANCE in facts.mistaken:
            unit = "19001" if unit == "19405" else "19405"
        documents.append(Document(kind=DocumentKind.HEALTH_INSURANCE, number=number, extra={"issuing_unit": unit}))
    if holds_licence(facts, date_of_birth, when) and DocumentKind.DRIVING_LICENCE in facts.asks:
        assert facts.licence is not None  # noqa: S101 - holds_licence says so
        number, classes = facts.licence
        asked = "C" if DocumentKind.DRIVING_LICENCE in facts.mistaken else classes[-1]
        documents.append(Document(kind=DocumentKind.DRIVING_LICENCE, number=number, extra={"class": asked}))
    if holds_vehicle(facts, date_of_birth, when) and DocumentKind.VEHICLE_REGISTRATION in facts.asks:
        assert facts.vehicle is not None  # noqa: S101 - holds_vehicle says so
        plate, chassis, _car = facts.vehicle
        if DocumentKind.VEHICLE_REGISTRATION in facts.mistaken:
            chassis = chassis[:-1] + ("0" if chassis[-1] != "0" else "1")
        documents.append(
            Document(kind=DocumentKind.VEHICLE_REGISTRATION, number=plate, extra={"chassis_number": chassis})
        )
    return tuple(documents)


@dataclass
class Registers:
    """The records of a population, ready for ``agencies.service.load_records``."""

    licences: list[LicenceRecord]
    vehicles: list[VehicleRecord]
    cards: list[HealthCardRecord]


def registers(people: Iterable[tuple[str, dt.date]], today: dt.date) -> Registers:
    """The agencies' records of ``people`` (ID number, date of birth) as of ``today``.

    A plate drawn twice goes to the first person drawn: the second's TK01 request is refused, as a
    real mistake would be.
    """
    out = Registers([], [], [])
    plates: set[str] = set()
    numbers: set[str] = set()
    for id_number, date_of_birth in people:
        facts = key_facts(id_number)
        rng = random.Random(f"civicid-sim/agencies/{id_number}/{today.isoformat()}")
        if holds_licence(facts, date_of_birth, today):
            out.licences.append(_licence(facts, id_number, date_of_birth, today, rng))
        if holds_vehicle(facts, date_of_birth, today) and facts.vehicle and facts.vehicle[0] not in plates:
            plates.add(facts.vehicle[0])
            out.vehicles.append(_vehicle(facts, id_number, date_of_birth, today, rng))
        if facts.health is not None and facts.health[0] not in numbers:
            numbers.add(facts.health[0])
            out.cards.append(_health_card(facts, id_number, date_of_birth, today, rng))
    return out


def fill_agencies(*, session: Session, clock: Clock, commune: SimCommune) -> Registers:
    """Load the simulated agencies' records of the commune's residents (deterministic from the seed)."""
    people = ((p.id_number, p.date_of_birth) for h in commune.iter_households() for p in h.members)
    found = registers(people, clock.today())
    agencies.load_records(
        session=session,
        clock=clock,
        actor=SIMULATOR,
        licences=found.licences,
        vehicles=found.vehicles,
        cards=found.cards,
    )
    return found


def _licence(
    facts: KeyFacts, id_number: str, date_of_birth: dt.date, today: dt.date, rng: random.Random
) -> LicenceRecord:
    assert facts.licence is not None  # noqa: S101 - checked by the caller
    number, classes = facts.licence
    earliest = birthday(date_of_birth, 18)
    valid_until = None  # motorcycle classes never expire
    if any(c.startswith("B") for c in classes):  # car classes: 10 years
        roll = rng.random()
        if roll < 0.12:  # to renew within 30 days: shown in red
            valid_until = today + dt.timedelta(days=rng.randint(1, 30))
        elif roll < 0.17:
            valid_until = today - dt.timedelta(days=rng.randint(1, 300))
        else:
            valid_until = today + dt.timedelta(days=rng.randint(31, 10 * 365 - 30))
        issued = _years_after(valid_until, -10)
    else:
        issued = today - dt.timedelta(days=rng.randint(30, 15 * 365))
    issued = min(max(issued, earliest), today)
    points = 12 if rng.random() < 0.9 else rng.randint(4, 11)
    issuer = "Công an tỉnh Thái Nguyên" if issued >= _POLICE_ISSUES_FROM else "Sở Giao thông vận tải Thái Nguyên"
    return LicenceRecord(
        number=number,
        holder_id_number=id_number,
        classes=" ".join(classes),
        points=points,
        issued_on=issued,
        valid_until=valid_until,
        issuer=issuer,
        revoked=rng.random() < 0.02,
    )


def _vehicle(
    facts: KeyFacts, id_number: str, date_of_birth: dt.date, today: dt.date, rng: random.Random
) -> VehicleRecord:
    assert facts.vehicle is not None  # noqa: S101 - checked by the caller
    plate, chassis, car = facts.vehicle
    make, model = rng.choice(_CARS if car else _MOTORCYCLES)
    registered = max(birthday(date_of_birth, 18), today - dt.timedelta(days=rng.randint(30, 12 * 365)))
    return VehicleRecord(
        plate=plate,
        chassis_number=chassis,
        holder_id_number=id_number,
        vehicle_type="car" if car else "motorcycle",
        make=make,
        model=model,
        registered_on=registered,
        revoked=rng.random() < 0.02,
    )


def _health_card(
    facts: KeyFacts, id_number: str, date_of_birth: dt.date, today: dt.date, rng: random.Random
) -> HealthCardRecord:
    assert facts.health is not None  # noqa: S101 - checked by the caller
    number, unit = facts.health
    # Yearly cards from staggered dates: some end within 30 days, a few have ended.
    started = today - dt.timedelta(days=rng.randint(0, 364) if rng.random() < 0.96 else rng.randint(366, 420))
    started = max(started, date_of_birth)
    return HealthCardRecord(
        number=number,
        holder_id_number=id_number,
        issuing_unit=unit,
        insurer_unit=_UNITS[unit],
        benefit_level=rng.choices((1, 2, 3, 4), weights=(60, 5, 5, 30))[0],
        primary_care=rng.choice(_CLINICS),
        valid_from=started,
        valid_until=started + dt.timedelta(days=364),
    )


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
