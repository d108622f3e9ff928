"""The account table: one e-ID account per person, one account per phone number."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum

LEVELS = (1, 2)


class AccountStatus(StrEnum):
    PENDING_ACTIVATION = "pending_activation"  # issued; the holder has not activated it on a phone yet
    ACTIVE = "active"
    LOCKED = "locked"
    CLOSED = "closed"


class EidAccount(Base):
    __tablename__ = "eid_account"
    __table_args__ = (CheckConstraint("level IN (1, 2)", name="level"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    id_number: Mapped[str] = mapped_column(String(12), index=True)
    # One phone number, one account (Decree 69/2024). A unique constraint admits any number of NULLs
    # on both databases, so accounts without a phone do not collide.
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[AccountStatus] = mapped_column(str_enum(AccountStatus))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # What the account was issued from: "application:<id>", "cli", …
    issued_from: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
