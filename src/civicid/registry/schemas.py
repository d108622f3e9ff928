"""What the registry accepts and returns (pydantic), separate from its tables."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from civicid.core.inputs import NOT_NULL, Flag, PersonName, RowId, not_null_in_schema
from civicid.country.age import AgeGroup
from civicid.country.phone import normalise_phone
from civicid.country.sex import Sex
from civicid.registry.models import CardStatus, ResidenceStatus, SignalQuality


class CommuneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    province_code: str
    province_name: str
    latitude: float | None
    longitude: float | None


class VillageIn(BaseModel):
    commune_code: str = Field(pattern=r"^\d{5}$")
    name: str = Field(min_length=1, max_length=120)
    distance_km: float = Field(ge=0, le=500)
    signal: SignalQuality
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class VillageRead(BaseModel):
    id: int
    commune_code: str
    name: str
    distance_km: float
    signal: SignalQuality
    latitude: float | None
    longitude: float | None
    households: int = 0
    persons: int = 0


class HouseholdIn(BaseModel):
    village_id: RowId
    number: str = Field(min_length=1, max_length=20)
    address: str = Field(min_length=1, max_length=200)


class HouseholdRead(BaseModel):
    id: int
    village_id: int
    number: str
    address: str
    members: int = 0


class PersonIn(BaseModel):
    id_number: str
    full_name: PersonName
    date_of_birth: dt.date
    sex: Sex
    phone: str | None = None
    has_smartphone: Flag = False
    residence_status: ResidenceStatus = ResidenceStatus.PRESENT
    household_id: RowId
    relation_to_head: str = Field(default="head", min_length=1, max_length=40)

    _phone = field_validator("phone")(normalise_phone)


class PersonUpdate(BaseModel):
    """Fields an officer may correct; the ID number and date of birth change only by re-registration."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=not_null_in_schema)

    full_name: Annotated[PersonName | None, NOT_NULL] = None
    sex: Annotated[Sex | None, NOT_NULL] = None
    phone: str | None = None  # null clears the phone
    has_smartphone: Annotated[Flag | None, NOT_NULL] = None
    residence_status: Annotated[ResidenceStatus | None, NOT_NULL] = None
    household_id: Annotated[RowId | None, NOT_NULL] = None
    relation_to_head: Annotated[str | None, NOT_NULL, Field(min_length=1, max_length=40)] = None

    _phone = field_validator("phone")(normalise_phone)


class PersonSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    id_number: str
    full_name: str
    date_of_birth: dt.date
    sex: Sex
    village_id: int
    household_id: int


class SearchPage(BaseModel):
    """One page of a search: the persons, where the page starts, and whether another follows."""

    persons: list[PersonSummary]
    offset: int
    limit: int
    more: bool


class PersonRead(PersonSummary):
    phone: str | None
    has_smartphone: bool
    residence_status: ResidenceStatus
    relation_to_head: str
    age_group: AgeGroup


class IdCardIn(BaseModel):
    issue_date: dt.date
    expiry_date: dt.date | None = None


class IdCardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    person_id: int
    number: str
    issue_date: dt.date
    expiry_date: dt.date | None
    status: CardStatus


class RegistryStats(BaseModel):
    villages: int
    households: int
    persons: int
    persons_by_age_group: dict[str, int]
