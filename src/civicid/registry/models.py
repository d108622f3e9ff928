"""Tables of the population registry: places, households, persons, ID cards, guardian links.

Provinces and communes come from the country profile (``country/admin_units.py``); the registry
keeps a row for each commune it serves, and the villages, which have no national code.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum
from civicid.country.sex import Sex
from civicid.registry.codes import CardStatus as CardStatus
from civicid.registry.codes import ResidenceStatus as ResidenceStatus
from civicid.registry.codes import SignalQuality as SignalQuality

# Folded names are plain ASCII; the C collation makes a prefix a contiguous range of the index on
# PostgreSQL, so "nguyen van" is answered by an index range scan on both databases.
FoldedName = String(200).with_variant(String(200, collation="C"), "postgresql")
FoldedWord = String(60).with_variant(String(60, collation="C"), "postgresql")


class Commune(Base):
    __tablename__ = "commune"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    province_name: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Village(Base):
    __tablename__ = "village"
    __table_args__ = (UniqueConstraint("commune_code", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("commune.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    distance_km: Mapped[float] = mapped_column(Float)
    signal: Mapped[SignalQuality] = mapped_column(str_enum(SignalQuality))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Household(Base):
    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("village_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))


class Person(Base):
    __tablename__ = "person"
    __table_args__ = (
        # The id closes each index so that "ORDER BY name_folded, id LIMIT n" reads n entries, even
        # when thousands share a name (PostgreSQL; SQLite appends the rowid to every index anyway).
        Index("ix_person_village_name", "village_id", "name_folded", "id"),
        Index("ix_person_name_folded", "name_folded", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(FoldedName)
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(str_enum(Sex))
    phone: Mapped[str | None] = mapped_column(String(20))
    has_smartphone: Mapped[bool] = mapped_column(Boolean, default=False)
    residence_status: Mapped[ResidenceStatus] = mapped_column(
        str_enum(ResidenceStatus), default=ResidenceStatus.PRESENT
    )
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    # Denormalised from the household so that search by village needs no join at national scale.
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    relation_to_head: Mapped[str] = mapped_column(String(40), default="head")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative API


class PersonNameWord(Base):
    """One word of a person's folded name: "thang" finds "Lò Văn Thắng" (decision 0071).

    The folded full name rides along so that a word's index range is already in name order: a page of
    "every Thắng" is read from the index, whatever the size of the registry.
    """

    __tablename__ = "person_name_word"
    __table_args__ = (Index("ix_person_name_word_word", "word", "name_folded", "person_id"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    word: Mapped[str] = mapped_column(FoldedWord)
    name_folded: Mapped[str] = mapped_column(FoldedName)


class IdCard(Base):
    __tablename__ = "id_card"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    # The card number is the personal identification number; a person holds successive cards.
    number: Mapped[str] = mapped_column(String(12), index=True)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    expiry_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[CardStatus] = mapped_column(str_enum(CardStatus), default=CardStatus.VALID)


class GuardianLink(Base):
    __tablename__ = "guardian_link"
    __table_args__ = (UniqueConstraint("child_id", "guardian_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(40))
