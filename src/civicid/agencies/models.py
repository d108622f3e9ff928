"""The simulated agencies' own tables: what the traffic police and social security would hold.

They stand in for other agencies' databases, so they are keyed the agencies' way (a licence by its
number, a vehicle by its plate, a card by its number) and name their holder by ID number, never by
a registry id. The simulator fills them for the demo commune (``sim/agencies.py``); a deployment
connected to the real agencies leaves them empty. ``simulated_agency_outage`` is the switch that
tells a simulated agency it is down.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum
from civicid.country.documents import DocumentKind


class SimulatedLicence(Base):
    """A driving licence (PET card) of the traffic police's register."""

    __tablename__ = "simulated_driving_licence"

    number: Mapped[str] = mapped_column(String(12), primary_key=True)
    holder_id_number: Mapped[str] = mapped_column(String(12), index=True)
    # The classes the licence carries, space-separated ("A1 B").
    classes: Mapped[str] = mapped_column(String(40))
    # Points left of 12 (Law on Road Traffic Order and Safety 2024, art. 58).
    points: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    # None: a licence of motorcycle classes only, which never expires.
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    issuer: Mapped[str] = mapped_column(String(120))
    revoked: Mapped[bool] = mapped_column(Boolean)


class SimulatedVehicle(Base):
    """A vehicle registration of the traffic police's register, keyed by its plate without separators."""

    __tablename__ = "simulated_vehicle_registration"

    plate: Mapped[str] = mapped_column(String(12), primary_key=True)
    chassis_number: Mapped[str] = mapped_column(String(17))
    holder_id_number: Mapped[str] = mapped_column(String(12), index=True)
    vehicle_type: Mapped[str] = mapped_column(String(20))  # "motorcycle" or "car"
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(60))
    registered_on: Mapped[dt.date] = mapped_column(Date)
    revoked: Mapped[bool] = mapped_column(Boolean)  # the registration was cancelled (sold, scrapped)


class SimulatedHealthCard(Base):
    """A health-insurance card of social security's register, keyed by the social-insurance number."""

    __tablename__ = "simulated_health_insurance"

    number: Mapped[str] = mapped_column(String(10), primary_key=True)
    holder_id_number: Mapped[str] = mapped_column(String(12), index=True)
    issuing_unit: Mapped[str] = mapped_column(String(10))
    insurer_unit: Mapped[str] = mapped_column(String(120))
    benefit_level: Mapped[int] = mapped_column(Integer)  # 1 to 5: the share of costs covered
    primary_care: Mapped[str] = mapped_column(String(120))  # where the holder registered for primary care
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)


class SimulatedOutage(Base):
    """A simulated agency told it is down: every question to it fails until the row is gone."""

    __tablename__ = "simulated_agency_outage"

    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind), primary_key=True)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime())
